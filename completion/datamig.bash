# bash completion for datamig(1).
#
# Installed by `cmake --install` as share/bash-completion/completions/datamig, where the
# bash-completion package loads it the first time you type `datamig <TAB>`. Without that package,
# source it from ~/.bashrc:   source /usr/local/share/bash-completion/completions/datamig
#
# Completes commands; the flags of each command plus the global ones (which may stand before or
# after the command); --format/--log-format/--kind/--batch values; phase names for --phase (the
# config's `phases = [...]` and the folders of the migrations root); versions (from the file
# names) for --only/--target/--to and for resolve/pause/resume; folders and files for path flags.
# It needs nothing but bash: no bash-completion helpers, no call to datamig itself.
# tests/packaging/man_and_completion_test.sh checks it against `datamig --help`.

_datamig_commands="generate migrate status rollback check resolve pause resume"

_datamig_global_flags="--help -h --version --config --database-url --dir --table --format --log-format
  --quiet -q --verbose -v --wait --wait-timeout --lock-wait --statement-timeout --operator --context
  --lock-timeout --max-replica-lag --throttle-query --summary-file --targets --schemas --jobs --shard
  --canary"

# Flags that take a value (as the next word or after `=`); everything else is a switch.
_datamig_value_flags="--config --database-url --dir --table --format --log-format --wait-timeout
  --lock-wait --statement-timeout --operator --context --lock-timeout --max-replica-lag
  --throttle-query --summary-file --targets --schemas --jobs --shard --canary --phase --kind --batch --only --target --limit --batch-size
  --pause --batch-time --exec-timeout --time-budget --steps --to --schema-dir --large-table"

_datamig_command_flags() {
    case "$1" in
        generate) echo "--phase --kind --batch" ;;
        migrate) echo "--phase --only --target --limit --dry-run --rehearse --batch-size --pause --batch-time
                       --exec-timeout --time-budget" ;;
        status) echo "--phase --exit-code" ;;
        rollback) echo "--phase --steps --to --only --dry-run" ;;
        check) echo "--db --strict --schema-dir --large-table" ;;
        resolve) echo "--applied --pending" ;;
        pause | resume) echo "" ;;
    esac
}

_datamig_takes_value() {
    local flags=" ${_datamig_value_flags//$'\n'/ } "
    [[ "$flags" == *" $1 "* ]]
}

# The value of a flag given earlier on the line (`--dir X` or `--dir=X`), else nothing.
_datamig_flag_value() {
    local flag=$1 i
    for ((i = 1; i < ${#_datamig_words[@]} - 1; i++)); do
        case "${_datamig_words[i]}" in
            "$flag") [[ $((i + 1)) -lt $((${#_datamig_words[@]} - 1)) ]] && echo "${_datamig_words[i + 1]}" ;;
            "$flag"=*) echo "${_datamig_words[i]#*=}" ;;
        esac
    done | tail -n 1
}

# The config file datamig would read: --config, $DATAMIG_CONFIG, else ./datamig.toml.
_datamig_config_file() {
    local file
    file=$(_datamig_flag_value --config)
    [[ -n "$file" ]] || file=${DATAMIG_CONFIG:-datamig.toml}
    file=${file/#\~/$HOME}
    [[ -f "$file" ]] && echo "$file"
}

# A top-level string setting of the config file (`dir = "..."`), else nothing.
_datamig_config_value() {
    local key=$1 file
    file=$(_datamig_config_file) || return 0
    sed -n -E "s/^[[:space:]]*${key}[[:space:]]*=[[:space:]]*[\"']([^\"']*)[\"'].*/\\1/p" "$file" 2>/dev/null | tail -n 1
}

# The migrations root, with datamig's precedence: --dir, $DATAMIG_DIR, config `dir`, default.
_datamig_dir() {
    local dir
    dir=$(_datamig_flag_value --dir)
    [[ -n "$dir" ]] || dir=${DATAMIG_DIR:-}
    [[ -n "$dir" ]] || dir=$(_datamig_config_value dir)
    [[ -n "$dir" ]] || dir=db/data_migrations
    echo "${dir/#\~/$HOME}"
}

# Phase names: the config's `phases = [...]` (one or several lines), then every folder of the
# migrations root except templates/; pre_sync and post_sync when neither says anything.
_datamig_phases() {
    local file dir phases=() name
    if file=$(_datamig_config_file); then
        while IFS= read -r name; do phases+=("$name"); done < <(
            sed -n -E '/^[[:space:]]*phases[[:space:]]*=/,/\]/p' "$file" 2>/dev/null |
                grep -o -E "[\"'][^\"']*[\"']" | tr -d "\"'")
    fi
    dir=$(_datamig_dir)
    if [[ -d "$dir" ]]; then
        for name in "$dir"/*/; do
            [[ -d "$name" ]] || continue
            name=${name%/}
            name=${name##*/}
            [[ "$name" == templates ]] || phases+=("$name")
        done
    fi
    [[ ${#phases[@]} -gt 0 ]] || phases=(pre_sync post_sync)
    printf '%s\n' "${phases[@]}" | awk '!seen[$0]++'
}

# Versions of the migration files (the 14 digits of <version>_<name>.<ext>), newest first.
_datamig_versions() {
    local dir file
    dir=$(_datamig_dir)
    [[ -d "$dir" ]] || return 0
    for file in "$dir"/*/[0-9]*_*; do
        file=${file##*/}
        [[ "$file" =~ ^([0-9]{14})_ ]] && echo "${BASH_REMATCH[1]}"
    done | sort -r -u
}

# Words of the line up to the cursor, with bash's `--flag`, `=`, `value` split rejoined.
_datamig_join_words() {
    local i word
    _datamig_words=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        local last=$((${#_datamig_words[@]} - 1))
        if [[ "$word" == "=" && $last -ge 1 && "${_datamig_words[last]}" == -* &&
            "${_datamig_words[last]}" != *=* ]]; then
            _datamig_words[last]+="="
        elif [[ $last -ge 1 && "${_datamig_words[last]}" == -*= && "${COMP_WORDS[i - 1]}" == "=" ]]; then
            _datamig_words[last]+="$word"
        else
            _datamig_words+=("$word")
        fi
    done
    # COMP_CWORD may point past the words (cursor after a space): the current word is empty.
    [[ ${#COMP_WORDS[@]} -gt $COMP_CWORD ]] || _datamig_words+=("")
}

_datamig_reply() {
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY+=($(compgen -P "${2:-}" -W "$1" -- "$3"))
}

# Completes VALUE (the word being typed) for FLAG; PREFIX is put back before each candidate
# (`--format=`, when the value is typed after `=`).
_datamig_complete_value() {
    local flag=$1 value=$2 prefix=$3 command=$4
    case "$flag" in
        --format)
            if [[ "$command" == check ]]; then
                _datamig_reply $'text\njson\ngithub' "$prefix" "$value"
            else
                _datamig_reply $'text\njson' "$prefix" "$value"
            fi ;;
        --log-format) _datamig_reply $'text\njson' "$prefix" "$value" ;;
        --kind) _datamig_reply $'sql\nexec' "$prefix" "$value" ;;
        --batch) _datamig_reply $'loop\nrange' "$prefix" "$value" ;;
        --phase) _datamig_reply "$(_datamig_phases)" "$prefix" "$value" ;;
        --only | --target | --to) _datamig_reply "$(_datamig_versions)" "$prefix" "$value" ;;
        --dir | --schema-dir)
            compopt -o filenames 2>/dev/null
            _datamig_reply "$(compgen -d -- "$value")" "$prefix" "$value" ;;
        --config | --summary-file | --targets)
            compopt -o filenames 2>/dev/null
            _datamig_reply "$(compgen -f -- "$value")" "$prefix" "$value" ;;
        --database-url) _datamig_reply $'sqlite:\npostgres://\npostgresql://' "$prefix" "$value"
            compopt -o nospace 2>/dev/null ;;
        *) ;;  # durations, numbers, names, SQL: nothing to offer
    esac
}

_datamig() {
    local _datamig_words=() cur prev command="" i word positional=0
    COMPREPLY=()
    _datamig_join_words
    local last=$((${#_datamig_words[@]} - 1))
    cur=${_datamig_words[last]}
    prev=""
    [[ $last -ge 1 ]] && prev=${_datamig_words[last - 1]}

    # The command is the first word that is not a flag or a flag's value.
    for ((i = 1; i < last; i++)); do
        word=${_datamig_words[i]}
        if [[ "$word" == -* ]]; then
            [[ "$word" != *=* ]] && _datamig_takes_value "$word" && ((i++))
        elif [[ -z "$command" ]]; then
            command=$word
        else
            ((positional++))
        fi
    done

    # A flag's value: after `--flag=` or as the word after `--flag`.
    if [[ "$cur" == --*=* ]]; then
        _datamig_complete_value "${cur%%=*}" "${cur#*=}" "${cur%%=*}=" "$command"
        # bash splits at `=` itself (COMP_WORDBREAKS): the reply then replaces only the value.
        if [[ "$COMP_WORDBREAKS" == *"="* && ${#COMPREPLY[@]} -gt 0 ]]; then
            COMPREPLY=("${COMPREPLY[@]#"${cur%%=*}="}")
        fi
        return 0
    fi
    if [[ "$prev" == -* && "$prev" != *=* ]] && _datamig_takes_value "$prev"; then
        _datamig_complete_value "$prev" "$cur" "" "$command"
        return 0
    fi

    if [[ "$cur" == -* ]]; then
        local flags=$_datamig_global_flags
        [[ -n "$command" ]] && flags+=" $(_datamig_command_flags "$command")"
        local IFS=$' \t\n'
        # shellcheck disable=SC2207
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        return 0
    fi

    if [[ -z "$command" ]]; then
        # shellcheck disable=SC2207
        COMPREPLY=($(compgen -W "$_datamig_commands" -- "$cur"))
        return 0
    fi

    # Positional arguments: a version for resolve/pause/resume; generate's NAME is free text.
    case "$command" in
        resolve | pause | resume)
            [[ $positional -eq 0 ]] && _datamig_reply "$(_datamig_versions)" "" "$cur" ;;
    esac
    return 0
}

complete -F _datamig datamig
