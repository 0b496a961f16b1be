#!/bin/bash
# Unit test of the bash completion (data/completion/worlds), run by CTest as
# `completion_bash`: bash COMPLETION_FILE [WORLDS_BINARY].
# Calls _worlds as bash does (COMP_WORDS, COMP_CWORD) on lines typed in a
# temp dir of sample files, and, given the binary, checks that every command
# and option its --help lists is completed, so the two cannot drift apart.
# Runs once without bash-completion's helpers and, where the package is
# installed, once more with them (how a Debian login shell completes).
set -u
script=$(readlink -f "$0")
completion=$(readlink -f "$1")
worlds=${2:+$(readlink -f "$2")}
helpers=/usr/share/bash-completion/bash_completion
if [[ ${WORLDS_COMPLETION_HELPERS:-} == 1 ]]; then
    # shellcheck source=/dev/null
    source "$helpers" || { echo "FAIL: cannot source $helpers"; exit 1; }
fi
# shellcheck source=/dev/null
source "$completion" || { echo "FAIL: cannot source $completion"; exit 1; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
touch lab.yaml lab2.yml roster.csv disk.qcow2 disk.raw notes.txt
mkdir labs

# Prints, sorted and space-separated, what completing the last of the words
# offers.
offers() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _worlds 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# expect 'WANTED' WORD...: completing the words offers exactly WANTED.
expect() {
    local want=$1 got
    shift
    got=$(offers "$@")
    [[ $got == "$want" ]] || fail "'$*' offered '$got', want '$want'"
}

# has 'WORD' WORD...: completing the words offers at least WORD.
has() {
    local want=$1 got
    shift
    got=" $(offers "$@") "
    [[ $got == *" $want "* ]] || fail "'$*' offered '$got', not '$want'"
}

expect 'lab' worlds la
expect 'deploy destroy doctor' worlds d
expect '--accel' worlds --ac
expect 'kvm qemu' worlds --accel ''
expect 'kvm' worlds --accel k
expect 'qemu' worlds --accel = q        # --accel=q as bash splits it
expect 'close follow-schedule open state validate' worlds lab ''
expect '--help --until' worlds lab close lab.yaml --
expect '2h' worlds lab open netlab --until 2
expect '--help --json' worlds lab state --
expect 'inspect' worlds image ''
expect 'sync' worlds users ''
expect 'validate' worlds --state-dir /tmp roster ''
expect 'lab.yaml lab2.yml labs' worlds lab validate ''
expect '--help --no-inspect' worlds lab validate --
expect 'labs roster.csv' worlds roster validate ''
expect 'disk.qcow2 disk.raw labs' worlds image inspect ''
expect 'qcow2 raw' worlds image inspect --format ''
expect 'lab.yaml lab2.yml labs' worlds deploy ''
expect 'labs roster.csv' worlds deploy lab.yaml --roster ''
expect 'group student' worlds deploy lab.yaml --per ''
expect '--delete-student-data --dry-run' worlds deploy lab.yaml --d
expect '--delete-student-data --dry-run' worlds deploy lab.yaml --roster roster.csv --d
expect '--dry-run' worlds --accel qemu deploy lab.yaml --dr
expect 'labs roster.csv' worlds users sync --roster ''
expect 'labs' worlds users sync --keys-dir ''
expect 'labs' worlds --state-dir ''
expect '' worlds deploy lab.yaml --jobs ''
expect '--all' worlds revert lab.yaml --a
expect '--force' worlds stop lab.yaml --f
expect 'today' worlds events --since to
expect '--pdmenu' worlds menu --pd
has 'lab.yaml' worlds destroy ''
has 'root' worlds status --owner ro
has 'root' worlds users sync --roster roster.csv --admins ro
has 'worlds-x,root' worlds users sync --roster roster.csv --admins worlds-x,ro

# Every command, subcommand and long option of the binary is completed.
long_options() { sed -n 's/^ *\(-[^ ,],\)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'; }
subcommands() { sed -n '/^Subcommands:/,$s/^  \([a-z][a-z-]*\) .*/\1/p'; }
# covers 'LISTED...' WORD...: completing the words offers every listed word.
covers() {
    local listed=$1 got word
    shift
    got=" $(offers "$@") "
    for word in $listed; do
        [[ $got == *" $word "* ]] || fail "'$*' offered '$got', not '$word'"
    done
}
if [[ -n $worlds ]]; then
    commands=$("$worlds" --help | subcommands)
    [[ -n $commands ]] || fail "no subcommands read from '$worlds --help'"
    covers "$commands" worlds ''
    covers "$("$worlds" --help | long_options)" worlds -
    for command in $commands; do
        nested=$("$worlds" "$command" --help | subcommands)
        if [[ -z $nested ]]; then
            covers "$("$worlds" "$command" --help | long_options)" worlds "$command" --
        else
            covers "$nested" worlds "$command" ''
        fi
        for sub in $nested; do
            covers "$("$worlds" "$command" "$sub" --help | long_options)" \
                worlds "$command" "$sub" --
        done
    done
fi

mode=without
[[ ${WORLDS_COMPLETION_HELPERS:-} == 1 ]] && mode=with
if ((failures > 0)); then
    echo "$failures failure(s) $mode bash-completion's helpers"
    exit 1
fi
echo "completion ok $mode bash-completion's helpers"
if [[ ${WORLDS_COMPLETION_HELPERS:-} != 1 && -r $helpers ]]; then
    WORLDS_COMPLETION_HELPERS=1 bash "$script" "$completion" "$worlds"
    exit
fi
