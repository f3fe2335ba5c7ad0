# bash completion for ctr                              -*- shell-script -*-
# SPDX-License-Identifier: Apache-2.0
# Made by `ctr completion bash`; do not edit.  The candidates come from
# `ctr __complete`, which reads ctr's own command table and, read-only, its
# store (cmd/complete.c).
#
# Enable it with `source <(ctr completion bash)` in ~/.bashrc, or install it
# as /usr/share/bash-completion/completions/ctr.

# _ctr_split LINE: sets _ctr_words to the words of LINE as the shell will pass
# them (quotes and backslashes removed; the last, possibly empty, is the word
# under the cursor), and _ctr_skip to how much of the last word lies before
# readline's own word, which starts after its last COMP_WORDBREAKS character
# ('=', ':'...) or quote.
_ctr_split() {
    local line=$1 breaks=${COMP_WORDBREAKS-$' \t\n"\'><=;|&(:'}
    local word="" quote="" quoted="" c="" i=0
    _ctr_words=()
    _ctr_skip=0
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ -n $quote ]]; then
            if [[ $c == "$quote" ]]; then
                quote=""
                _ctr_skip=${#word}
            elif [[ $c == \\ && $quote == '"' && $((i + 1)) -lt ${#line} ]]; then
                i=$((i + 1))
                word+=${line:i:1}
            else
                word+=$c
            fi
        elif [[ $c == [$' \t\n'] ]]; then
            if [[ -n $word || -n $quoted ]]; then
                _ctr_words+=("$word")
            fi
            word=""
            quoted=""
            _ctr_skip=0
        elif [[ $c == \\ && $((i + 1)) -lt ${#line} ]]; then
            i=$((i + 1))
            word+=${line:i:1}
        elif [[ $c == [\'\"] ]]; then
            quote=$c
            quoted=1
            _ctr_skip=${#word}
        else
            word+=$c
            [[ $breaks == *"$c"* ]] && _ctr_skip=${#word}
        fi
    done
    _ctr_words+=("$word")
}

_ctr() {
    local line="" ctr="" out="" directive="" cur="" files="" _ctr_skip=0
    local -a lines=() _ctr_words=()
    COMPREPLY=()
    if [[ -n ${COMP_LINE+set} ]]; then
        line=${COMP_LINE:0:COMP_POINT}
    else
        # Called with only COMP_WORDS and COMP_CWORD set (as the tests do).
        line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
    fi
    _ctr_split "$line"
    ctr=${_ctr_words[0]}
    [[ $ctr == \~/* ]] && ctr=$HOME/${ctr:2}
    out=$("$ctr" __complete "${_ctr_words[@]:1}" 2>/dev/null) || return 0
    # One candidate a line.  Split by the shell itself: `read` and `mapfile`
    # take a system call for each byte of a pipe, 10 ms for 1000 containers.
    local IFS=$'\n' -
    set -f
    # shellcheck disable=SC2206 # split at newlines only, without globbing
    lines=($out)
    ((${#lines[@]} > 0)) || return 0
    directive=${lines[-1]#:}
    unset 'lines[-1]'
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    # ctr answers with whole words, and a description after a tab; readline
    # replaces only the part of the word after its last break character.
    cur=${_ctr_words[-1]}
    if ((${#lines[@]} > 0)); then
        lines=("${lines[@]%%$'\t'*}")
        COMPREPLY=("${lines[@]#"${cur:0:_ctr_skip}"}")
        if ((${#lines[@]} == 1)) && [[ ${lines[0]} == *[=:,] ]]; then
            compopt -o nospace 2>/dev/null || true
        fi
    fi
    if ((directive & 1)); then
        files=f
    elif ((directive & 2)); then
        files=d
    fi
    if [[ -n $files ]]; then
        compopt -o filenames 2>/dev/null || true
        # shellcheck disable=SC2207 # likewise
        COMPREPLY+=($(compgen -"$files" -- "${cur:_ctr_skip}"))
    fi
    return 0
}

complete -F _ctr ctr
