#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: installs what is missing, boots the test VM and shows each
# target doing its job on ramdisks (scripts/guest/demo.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
DMTK_OUT=${DMTK_OUT:-$top/out/demo} exec "$top/scripts/vm.sh" --mode demo --timeout 600
