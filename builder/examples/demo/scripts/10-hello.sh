#!/bin/sh
# Runs once, at first boot, after first_run_setup.sh.
echo "Hello from $(hostname) at first boot"
