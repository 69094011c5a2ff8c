#!/usr/bin/env bash
# Checks the man page (docs/datamig.1) and the bash completion (completion/datamig.bash) against
# the binary and the contract, so neither falls behind a new command, flag or exit code:
#   * every command `datamig --help` lists has its own `.SS` section in the man page, every global
#     flag is under GLOBAL OPTIONS, and every flag `datamig COMMAND --help` lists is in that
#     command's section;
#   * the man page's .TH names the binary's --version;
#   * every exit code of SPEC.md §7 is under EXIT STATUS;
#   * the page renders without warnings (groff -ww, else man --warnings; skipped without either);
#   * the completion names every command and flag, and sourced into bash, its function completes
#     `datamig mig`, `datamig migrate --ti`, every command's flags, --format values and the phase
#     folders of a migrations root.
#   tests/packaging/man_and_completion_test.sh path/to/datamig SOURCE_DIR
# SPEC.md is read from SOURCE_DIR/../shared/SPEC.md (DATAMIG_SPEC overrides). Fast, no network.
set -euo pipefail

binary=${1:?usage: $0 path/to/datamig SOURCE_DIR}
src=${2:?usage: $0 path/to/datamig SOURCE_DIR}
man_page=$src/docs/datamig.1
completion=$src/completion/datamig.bash
spec=${DATAMIG_SPEC:-$src/../shared/SPEC.md}

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

[ -x "$binary" ] || { echo "FAIL: no datamig binary at $binary" >&2; exit 1; }
for file in "$man_page" "$completion" "$spec"; do
    [ -f "$file" ] || { echo "FAIL: missing $file (SPEC.md: set DATAMIG_SPEC)" >&2; exit 1; }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --- what the binary offers ------------------------------------------------------------------

# Commands: the names under "Subcommands:" of `datamig --help`.
help_commands() {
    "$binary" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^[^ ]/ {on = 0}'
}

# Flags: the first column of every option line under "Options:" (`-q,--quiet`, `--applied
# Excludes: --pending` gives --applied), one flag per line.
help_flags() {
    "$binary" "$@" --help | awk '/^Options:/ {on = 1; next} on && /^[^ ]/ {on = 0}
        on && /^  +-/ {print $1}' | tr ',' '\n' | grep -E '^--?[A-Za-z]' || true
}

mapfile -t commands < <(help_commands)
mapfile -t global_flags < <(help_flags)
[ ${#commands[@]} -ge 8 ] || fail "datamig --help lists only ${#commands[@]} commands: ${commands[*]}"
[ ${#global_flags[@]} -ge 10 ] || fail "datamig --help lists only ${#global_flags[@]} flags"
declare -A command_flags
for command in "${commands[@]}"; do
    command_flags[$command]=$(help_flags "$command" | { grep -v -x -E -- '-h|--help' || true; } | tr '\n' ' ')
done

# --- the man page ----------------------------------------------------------------------------

# The source with groff's escapes for hyphens, fonts and spaces taken out: `\-\-phase` → --phase.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' -e 's/\\ / /g' -e 's/\\&//g' "$man_page" >"$scratch/man.txt"

# Lines of the section that starts with the line HEADING (exact), up to the next .SH or .SS.
man_section() {
    awk -v heading="$1" '$0 == heading {on = 1; next} on && /^\.S[HS]( |$)/ {on = 0} on' "$scratch/man.txt"
}

# Whether TEXT holds WORD as a whole flag or word (not a prefix of --phases, --batch-size, ...).
holds_word() {
    grep -q -E -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" <<<"$1"
}

version=$("$binary" --version | awk '{print $NF}')
grep -q -E "^\.TH DATAMIG 1 .*\"datamig $version\"" "$scratch/man.txt" \
    || fail "man page: .TH does not name datamig $version (the binary's --version)"

global_section=$(man_section ".SH GLOBAL OPTIONS")
[ -n "$global_section" ] || fail "man page: no GLOBAL OPTIONS section"
for flag in "${global_flags[@]}"; do
    holds_word "$global_section" "$flag" || fail "man page: global flag $flag is not under GLOBAL OPTIONS"
done
for command in "${commands[@]}"; do
    section=$(man_section ".SS $command")
    if [ -z "$section" ]; then
        fail "man page: no '.SS $command' section for command $command"
        continue
    fi
    for flag in ${command_flags[$command]}; do
        holds_word "$section" "$flag" || fail "man page: $command's flag $flag is not in its section"
    done
done

# Exit codes: the first column of the table under "## 7." in SPEC.md (`130 / 143` is two).
mapfile -t exit_codes < <(awk '/^## 7\./ {on = 1; next} on && /^## / {on = 0}
    on && /^\| *[0-9]/ {split($0, cells, "|"); print cells[2]}' "$spec" | grep -o -E '[0-9]+')
[ ${#exit_codes[@]} -ge 6 ] || fail "SPEC.md §7: found only ${#exit_codes[@]} exit codes (${exit_codes[*]})"
exit_section=$(man_section ".SH EXIT STATUS" | grep -E '^\.(B|BR|TP|IP)( |$)' || true)
for code in "${exit_codes[@]}"; do
    holds_word "$exit_section" "$code" || fail "man page: exit code $code (SPEC §7) is not under EXIT STATUS"
done

# The page renders without a warning.
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1 || echo "groff failed")
    [ -z "$warnings" ] || fail "groff -man -ww: $warnings"
elif command -v man >/dev/null; then
    warnings=$(man --warnings -l "$man_page" 2>&1 >/dev/null || echo "man failed")
    [ -z "$warnings" ] || fail "man --warnings -l: $warnings"
else
    echo "SKIP (part): neither groff nor man is installed; the man page was not rendered"
fi

# --- the completion --------------------------------------------------------------------------

bash -n "$completion" || fail "completion: bash -n found a syntax error"
# shellcheck disable=SC2048,SC2086  # the flags of all commands, split into words
for word in "${commands[@]}" "${global_flags[@]}" ${command_flags[*]}; do
    holds_word "$(cat "$completion")" "$word" || fail "completion: $word is not in $completion"
done

# A migrations root with three phase folders and a templates folder (not a phase).
mkdir -p "$scratch/root/pre_sync" "$scratch/root/post_sync" "$scratch/root/cleanup" "$scratch/root/templates"
touch "$scratch/root/pre_sync/20261122093000_backfill.sql" "$scratch/root/cleanup/20261122093100_purge.sql"
printf 'phases = ["pre_sync", "post_sync", "archive"]\n' >"$scratch/datamig.toml"

# Runs the completion function in a clean bash for the command line LINE (the cursor at its
# end; a trailing space starts a new word) and prints the candidates sorted, one a line.
# Words are split the way bash splits them for completion: at blanks, and `=` is a word.
complete_line() {
    local line=$1
    (cd "$scratch" && DATAMIG_DIR='' DATAMIG_CONFIG='' bash --norc --noprofile -c '
        source "$1" || exit 1
        line=$2
        split=${line//=/ = }
        read -r -a COMP_WORDS <<<"$split"
        case "$line" in *" ") COMP_WORDS+=("") ;; esac
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _datamig datamig "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort -u | sed "/^\$/d"' _ "$completion" "$line")
}

expect_completion() {
    local line=$1 expected=$2 got
    got=$(complete_line "$line" | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$expected" ] || fail "completion of '$line': expected '$expected', got '$got'"
}

# Every candidate in WORDS must be offered for LINE (more may be).
expect_offered() {
    local line=$1 got word
    shift
    got=$(complete_line "$line")
    for word in "$@"; do
        grep -q -x -F -- "$word" <<<"$got" || fail "completion of '$line' does not offer $word"
    done
}

expect_completion "datamig mig" "migrate"
expect_completion "datamig migrate --ti" "--time-budget"
expect_completion "datamig re" "resolve resume"
expect_offered "datamig " "${commands[@]}"
expect_offered "datamig -" "${global_flags[@]}"
for command in "${commands[@]}"; do
    # shellcheck disable=SC2086
    expect_offered "datamig $command -" ${command_flags[$command]} "${global_flags[@]}"
done
expect_completion "datamig status --format " "json text"
expect_completion "datamig check --format " "github json text"
expect_completion "datamig status --format=j" "json"
expect_completion "datamig --log-format " "json text"
expect_completion "datamig generate Backfill --kind " "exec sql"
expect_completion "datamig generate Backfill --batch " "loop range"
expect_completion "datamig --dir root migrate --phase " "archive cleanup post_sync pre_sync"
expect_completion "datamig migrate --dir=root --phase p" "post_sync pre_sync"
expect_completion "datamig --dir root --config none.toml status --phase " "cleanup post_sync pre_sync"
expect_completion "datamig --dir root pause " "20261122093000 20261122093100"
expect_completion "datamig --dir root migrate --only 202611220931" "20261122093100"

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "ok: ${#commands[@]} commands, ${#global_flags[@]} global flags, the flags of each command and" \
    "${#exit_codes[@]} exit codes in the man page and the completion"
