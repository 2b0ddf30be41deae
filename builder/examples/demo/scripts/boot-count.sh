#!/bin/sh
# Runs at every boot: counts boots in the startup-scripts folder, readable from any PC.
count=$(cat "$ORCHARD_SCRIPTS/resources/boot-count" 2>/dev/null || echo 0)
echo $((count + 1)) > "$ORCHARD_SCRIPTS/resources/boot-count"
echo "boot number $((count + 1))"
