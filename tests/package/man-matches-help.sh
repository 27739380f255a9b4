#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The man pages and the bash completion cannot drift from the programs: every long option a
# program's --help names is in its man page and every option its man page names is in --help; the
# completion offers exactly exitscope-cli's options and commands.
#   man-matches-help.sh SOURCE_DIR EXITSCOPE EXITSCOPE_CLI EXITSCOPE_AGENT EXITSCOPE_PROBE
set -euo pipefail
src=$1 gui=$2 cli=$3 agent=$4 probe=$5
export QT_QPA_PLATFORM=offscreen
failed=0

options_in() { grep -oE -- '--[a-z0-9][a-z0-9-]*' | sed 's/-$//' | sort -u; }
# Options a man page documents, from its source ("\-\-name" in roff), in its COMMANDS and OPTIONS
# sections: elsewhere it may name another program's options.
man_options() {
    awk '/^\.SH/ { keep = ($2 == "OPTIONS" || $2 == "COMMANDS") } keep' "$1" \
        | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' | options_in
}

compare() { # NAME HELP-LIST MAN-LIST
    local only_help only_man
    only_help=$(comm -23 <(printf '%s\n' "$2") <(printf '%s\n' "$3"))
    only_man=$(comm -13 <(printf '%s\n' "$2") <(printf '%s\n' "$3"))
    if [[ -n $only_help ]]; then
        echo "FAIL: $1: --help names what the man page does not: $(echo $only_help)"
        failed=1
    fi
    if [[ -n $only_man ]]; then
        echo "FAIL: $1: the man page names what --help does not: $(echo $only_man)"
        failed=1
    fi
    [[ -n $only_help$only_man ]] || echo "ok: $1 ($(wc -l <<<"$2") options)"
}

check() { # PAGE HELP-TEXT
    local page=$src/docs/man/$1
    [[ -f $page ]] || { echo "FAIL: $page is missing"; failed=1; return; }
    compare "$1" "$(options_in <<<"$2")" "$(man_options "$page")"
}

check exitscope.1 "$("$gui" --help 2>/dev/null)"
check exitscope-cli.1 "$("$cli" --help 2>/dev/null)"
check exitscope-agent.8 "$("$agent" --help 2>&1)"
check exitscope-probe.8 "$("$probe" --help 2>&1)"
check labctl.1 "$("$src/lab/labctl" --help 2>&1)"

# The completion's option list and command list, against --help.
completion=$src/resources/completion/exitscope-cli
listed() { perl -0ne 'print $1 if /local '"$1"'="([^"]*)"/s' "$completion"; }
compare "completion options" "$("$cli" --help 2>/dev/null | options_in)" "$(listed options | tr ' ' '\n' | sed '/^$/d' | sort -u)"
help_commands=$("$cli" --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }' | sort -u)
compare "completion commands" "$help_commands" "$(listed commands | tr ' ' '\n' | sed '/^$/d' | sort -u)"
# It loads in bash, and completes a command and an option.
bash -c "
    _init_completion() { cur=\${COMP_WORDS[COMP_CWORD]}; prev=\${COMP_WORDS[COMP_CWORD-1]}; words=(\"\${COMP_WORDS[@]}\"); cword=\$COMP_CWORD; }
    _filedir() { :; }
    source '$completion'
    COMP_WORDS=(exitscope-cli de); COMP_CWORD=1; _exitscope_cli
    [[ \${COMPREPLY[*]} == 'delete deploy' ]] || { echo \"FAIL: completing 'de' gave '\${COMPREPLY[*]}'\"; exit 1; }
    COMP_WORDS=(exitscope-cli deploy --activate r); COMP_CWORD=3; _exitscope_cli
    [[ \${COMPREPLY[*]} == 'reload reboot' ]] || { echo \"FAIL: completing --activate r gave '\${COMPREPLY[*]}'\"; exit 1; }
    echo 'ok: the completion completes commands and values'
" || failed=1
exit $failed
