#!/usr/bin/env bash
# Installs what the tests need (Verilator, Yosys and Icarus Verilog, through apt when missing) and
# runs the whole test suite. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} with apt-get"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
verilator --version
yosys -V
iverilog -V 2>/dev/null | head -n 1

cargo test --no-fail-fast
