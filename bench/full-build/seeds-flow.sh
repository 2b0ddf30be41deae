#!/usr/bin/env bash
# The seeds' full-build flow as a plain shell script (the baseline of bench/full-build):
# loop-mount the root fs → tar → docker import → docker build → docker export →
# a new image sized du + 800 MB → mkfs.ext4 + mount + untar. Root and a Docker daemon needed.
# Usage: seeds-flow.sh <source.img> <out.img> <package>
set -euo pipefail
source_image=$1 out=$2 package=$3
work=$(mktemp -d)
tag=seeds-bench-$$
cleanup() {
  mountpoint -q "$work/mnt" && umount "$work/mnt"
  [ -n "${loop:-}" ] && losetup -d "$loop"
  docker rm -f "$tag" >/dev/null 2>&1 || true
  docker rmi -f "$tag:base" "$tag:built" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/mnt"

# The root partition: the last one of the MBR.
root_start=$(sfdisk --json "$source_image" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][-1]["start"])')
loop=$(losetup --find --show --read-only -o $((root_start * 512)) "$source_image")
mount -o ro "$loop" "$work/mnt"
tar --numeric-owner --xattrs --xattrs-include='*' -C "$work/mnt" -cf "$work/rootfs.tar" .
umount "$work/mnt"; losetup -d "$loop"; loop=

docker import "$work/rootfs.tar" "$tag:base" >/dev/null
rm "$work/rootfs.tar"
mkdir "$work/ctx"
printf 'FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s && apt-get clean && rm -rf /var/lib/apt/lists/*\n' "$tag:base" "$package" > "$work/ctx/Dockerfile"
docker build -q -t "$tag:built" "$work/ctx" >/dev/null
docker create --name "$tag" "$tag:built" /bin/true >/dev/null
docker export -o "$work/built.tar" "$tag"

# The AWS sample's sizing: what the root fs uses + 800 MB.
mkdir "$work/root"
tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$work/built.tar" -C "$work/root"
rm "$work/built.tar"
root_mb=$(( $(du -sm "$work/root" | cut -f1) + 800 ))
dd if="$source_image" of="$out" bs=512 count="$root_start" status=none
truncate -s $(( root_start * 512 + root_mb * 1024 * 1024 )) "$out"
echo "start=$root_start, size=$(( root_mb * 2048 ))" | sfdisk --quiet --no-reread --no-tell-kernel -N 2 "$out"
loop=$(losetup --find --show -o $((root_start * 512)) --sizelimit $((root_mb * 1024 * 1024)) "$out")
mkfs.ext4 -q -F "$loop"
mount "$loop" "$work/mnt"
tar --numeric-owner --xattrs --xattrs-include='*' -C "$work/root" -cf - . | tar --numeric-owner --xattrs --xattrs-include='*' -xpf - -C "$work/mnt"
umount "$work/mnt"
losetup -d "$loop"; loop=
