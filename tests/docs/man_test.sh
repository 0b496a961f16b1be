#!/bin/bash
# Unit test of the man pages (docs/man), run by CTest as `man_pages`:
# bash man_test.sh MAN_DIR [WORLDS_BINARY]. Each page formats without a
# warning and lexgrog reads its NAME section (what lintian checks); given
# the binary, worlds.1 names every command and option `worlds --help` and
# each command's --help list, so the page cannot drift from the program.
set -u
man_dir=$1
worlds=${2:-}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for tool in man lexgrog; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing: apt-get install man-db"; exit 1; }
done

for page in "$man_dir"/worlds.1 "$man_dir"/worlds-menu.1 "$man_dir"/worlds.conf.5; do
    warnings=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    [[ -z $warnings ]] || fail "$page: $warnings"
    lexgrog "$page" >/dev/null 2>&1 || fail "$page: lexgrog cannot parse its NAME section"
done

if [[ -n $worlds ]]; then
    # The page's text with roff's \- as -, one word a line.
    words=" $(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man_dir/worlds.1" | tr -s ' \t",()[]|' '\n' | sort -u | tr '\n' ' ') "
    long_options() { sed -n 's/^ *\(-[^ ,],\)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'; }
    subcommands() { sed -n '/^Subcommands:/,$s/^  \([a-z][a-z-]*\) .*/\1/p'; }
    check() {
        local word
        for word in $1; do
            [[ $words == *" $word "* ]] || fail "worlds.1 does not name '$word' ($2)"
        done
    }
    commands=$("$worlds" --help | subcommands)
    [[ -n $commands ]] || fail "no subcommands read from '$worlds --help'"
    check "$commands $("$worlds" --help | long_options)" "worlds --help"
    for command in $commands; do
        nested=$("$worlds" "$command" --help | subcommands)
        check "$nested $("$worlds" "$command" --help | long_options)" "worlds $command --help"
        for sub in $nested; do
            check "$("$worlds" "$command" "$sub" --help | long_options)" "worlds $command $sub --help"
        done
    done
fi

if ((failures > 0)); then
    echo "$failures failure(s)"
    exit 1
fi
echo "man pages ok"
