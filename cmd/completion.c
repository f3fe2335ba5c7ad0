/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ctr completion bash|zsh|fish`: prints the completion script of a shell.  The scripts are
 * thin: each hands the words of the line to `ctr __complete` (cmd/complete.c) and gives the
 * shell what it answers, so every command, option and value comes from ctr's own table and no
 * script can drift from the binary.  completions/ holds copies of their output, installed for
 * each shell; tests/integration/completion.bats checks that they are the same, byte for byte.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* The scripts, as `ctr completion SHELL` prints them (and completions/ holds them). */
static const char bash_script[] =
        "# bash completion for ctr                              -*- shell-script -*-\n"
        "# SPDX-License-Identifier: Apache-2.0\n"
        "# Made by `ctr completion bash`; do not edit.  The candidates come from\n"
        "# `ctr __complete`, which reads ctr's own command table and, read-only, its\n"
        "# store (cmd/complete.c).\n"
        "#\n"
        "# Enable it with `source <(ctr completion bash)` in ~/.bashrc, or install it\n"
        "# as /usr/share/bash-completion/completions/ctr.\n"
        "\n"
        "# _ctr_split LINE: sets _ctr_words to the words of LINE as the shell will pass\n"
        "# them (quotes and backslashes removed; the last, possibly empty, is the word\n"
        "# under the cursor), and _ctr_skip to how much of the last word lies before\n"
        "# readline's own word, which starts after its last COMP_WORDBREAKS character\n"
        "# ('=', ':'...) or quote.\n"
        "_ctr_split() {\n"
        "    local line=$1 breaks=${COMP_WORDBREAKS-$' \\t\\n\"\\'><=;|&(:'}\n"
        "    local word=\"\" quote=\"\" quoted=\"\" c=\"\" i=0\n"
        "    _ctr_words=()\n"
        "    _ctr_skip=0\n"
        "    for ((i = 0; i < ${#line}; i++)); do\n"
        "        c=${line:i:1}\n"
        "        if [[ -n $quote ]]; then\n"
        "            if [[ $c == \"$quote\" ]]; then\n"
        "                quote=\"\"\n"
        "                _ctr_skip=${#word}\n"
        "            elif [[ $c == \\\\ && $quote == '\"' && $((i + 1)) -lt ${#line} ]]; then\n"
        "                i=$((i + 1))\n"
        "                word+=${line:i:1}\n"
        "            else\n"
        "                word+=$c\n"
        "            fi\n"
        "        elif [[ $c == [$' \\t\\n'] ]]; then\n"
        "            if [[ -n $word || -n $quoted ]]; then\n"
        "                _ctr_words+=(\"$word\")\n"
        "            fi\n"
        "            word=\"\"\n"
        "            quoted=\"\"\n"
        "            _ctr_skip=0\n"
        "        elif [[ $c == \\\\ && $((i + 1)) -lt ${#line} ]]; then\n"
        "            i=$((i + 1))\n"
        "            word+=${line:i:1}\n"
        "        elif [[ $c == [\\'\\\"] ]]; then\n"
        "            quote=$c\n"
        "            quoted=1\n"
        "            _ctr_skip=${#word}\n"
        "        else\n"
        "            word+=$c\n"
        "            [[ $breaks == *\"$c\"* ]] && _ctr_skip=${#word}\n"
        "        fi\n"
        "    done\n"
        "    _ctr_words+=(\"$word\")\n"
        "}\n"
        "\n"
        "_ctr() {\n"
        "    local line=\"\" ctr=\"\" out=\"\" directive=\"\" cur=\"\" files=\"\" _ctr_skip=0\n"
        "    local -a lines=() _ctr_words=()\n"
        "    COMPREPLY=()\n"
        "    if [[ -n ${COMP_LINE+set} ]]; then\n"
        "        line=${COMP_LINE:0:COMP_POINT}\n"
        "    else\n"
        "        # Called with only COMP_WORDS and COMP_CWORD set (as the tests do).\n"
        "        line=\"${COMP_WORDS[*]:0:COMP_CWORD+1}\"\n"
        "    fi\n"
        "    _ctr_split \"$line\"\n"
        "    ctr=${_ctr_words[0]}\n"
        "    [[ $ctr == \\~/* ]] && ctr=$HOME/${ctr:2}\n"
        "    out=$(\"$ctr\" __complete \"${_ctr_words[@]:1}\" 2>/dev/null) || return 0\n"
        "    # One candidate a line.  Split by the shell itself: `read` and `mapfile`\n"
        "    # take a system call for each byte of a pipe, 10 ms for 1000 containers.\n"
        "    local IFS=$'\\n' -\n"
        "    set -f\n"
        "    # shellcheck disable=SC2206 # split at newlines only, without globbing\n"
        "    lines=($out)\n"
        "    ((${#lines[@]} > 0)) || return 0\n"
        "    directive=${lines[-1]#:}\n"
        "    unset 'lines[-1]'\n"
        "    [[ $directive =~ ^[0-9]+$ ]] || return 0\n"
        "    # ctr answers with whole words, and a description after a tab; readline\n"
        "    # replaces only the part of the word after its last break character.\n"
        "    cur=${_ctr_words[-1]}\n"
        "    if ((${#lines[@]} > 0)); then\n"
        "        lines=(\"${lines[@]%%$'\\t'*}\")\n"
        "        COMPREPLY=(\"${lines[@]#\"${cur:0:_ctr_skip}\"}\")\n"
        "        if ((${#lines[@]} == 1)) && [[ ${lines[0]} == *[=:,] ]]; then\n"
        "            compopt -o nospace 2>/dev/null || true\n"
        "        fi\n"
        "    fi\n"
        "    if ((directive & 1)); then\n"
        "        files=f\n"
        "    elif ((directive & 2)); then\n"
        "        files=d\n"
        "    fi\n"
        "    if [[ -n $files ]]; then\n"
        "        compopt -o filenames 2>/dev/null || true\n"
        "        # shellcheck disable=SC2207 # likewise\n"
        "        COMPREPLY+=($(compgen -\"$files\" -- \"${cur:_ctr_skip}\"))\n"
        "    fi\n"
        "    return 0\n"
        "}\n"
        "\n"
        "complete -F _ctr ctr\n";

static const char zsh_script[] =
        "#compdef ctr\n"
        "# SPDX-License-Identifier: Apache-2.0\n"
        "# zsh completion for ctr.  Made by `ctr completion zsh`; do not edit.  The\n"
        "# candidates come from `ctr __complete`, which reads ctr's own command table\n"
        "# and, read-only, its store (cmd/complete.c).\n"
        "#\n"
        "# Enable it with `source <(ctr completion zsh)` in ~/.zshrc after compinit, or\n"
        "# install it as _ctr in a directory of $fpath (Debian:\n"
        "# /usr/share/zsh/vendor-completions).\n"
        "\n"
        "_ctr() {\n"
        "    local line cand desc directive\n"
        "    local -a args lines spaced unspaced\n"
        "    # The words after ctr, unquoted, up to the cursor; the last is the word\n"
        "    # being completed.\n"
        "    args=(\"${(@Q)words[2,CURRENT-1]}\" \"${(Q)PREFIX}\")\n"
        "    lines=(\"${(@f)$(${(Q)words[1]} __complete \"${args[@]}\" 2>/dev/null)}\")\n"
        "    directive=${lines[-1]#:}\n"
        "    [[ $directive == <-> ]] || return 1\n"
        "    lines[-1]=()\n"
        "    for line in \"${lines[@]}\"; do\n"
        "        [[ -n $line ]] || continue\n"
        "        cand=${line%%$'\\t'*}\n"
        "        desc=${line#\"$cand\"}\n"
        "        desc=${desc#$'\\t'}\n"
        "        # _describe splits WORD:DESCRIPTION at the first unescaped colon.\n"
        "        cand=${cand//:/\\\\:}\n"
        "        [[ -n $desc ]] && cand+=\":$desc\"\n"
        "        # A word ending in '=', ':' or ',' is the start of a longer value: no\n"
        "        # space after it.\n"
        "        if [[ ${line%%$'\\t'*} == *[=:,] ]]; then\n"
        "            unspaced+=(\"$cand\")\n"
        "        else\n"
        "            spaced+=(\"$cand\")\n"
        "        fi\n"
        "    done\n"
        "    (( ${#spaced} )) && _describe -t values 'ctr' spaced\n"
        "    (( ${#unspaced} )) && _describe -t values 'ctr' unspaced -S ''\n"
        "    if (( directive & 3 )); then\n"
        "        # Files for the value of \"--opt=VALUE\" too.\n"
        "        [[ $PREFIX == --*=* ]] && compset -P '*='\n"
        "        if (( directive & 1 )); then\n"
        "            _files\n"
        "        else\n"
        "            _files -/\n"
        "        fi\n"
        "    fi\n"
        "    return 0\n"
        "}\n"
        "\n"
        "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
        "    _ctr \"$@\"\n"
        "else\n"
        "    compdef _ctr ctr\n"
        "fi\n";

static const char fish_script[] =
        "# SPDX-License-Identifier: Apache-2.0\n"
        "# fish completion for ctr.  Made by `ctr completion fish`; do not edit.  The\n"
        "# candidates come from `ctr __complete`, which reads ctr's own command table\n"
        "# and, read-only, its store (cmd/complete.c).\n"
        "#\n"
        "# Enable it with `ctr completion fish | source`, or install it as\n"
        "# ~/.config/fish/completions/ctr.fish (or in fish's vendor_completions.d).\n"
        "\n"
        "function __ctr_complete\n"
        "    # The words after ctr up to the cursor, unquoted; the word being completed last.\n"
        "    set -l args (commandline -opc)\n"
        "    set -l ctr $args[1]\n"
        "    set -e args[1]\n"
        "    set -l cur (commandline -ct)\n"
        "    set cur (string replace -r -- '^[\\'\"]' '' $cur)\n"
        "    set -l out (command $ctr __complete $args \"$cur\" 2>/dev/null)\n"
        "    or return\n"
        "    set -l directive (string replace -r -- '^:' '' $out[-1])\n"
        "    string match -qr -- '^[0-9]+$' \"$directive\"\n"
        "    or return\n"
        "    set -e out[-1]\n"
        "    set -q out[1]\n"
        "    and printf '%s\\n' $out\n"
        "    if test (math \"$directive % 4\") -ne 0\n"
        "        # Files for the value of \"--opt=VALUE\" too.\n"
        "        set -l prefix (string match -r -- '^--[^=]*=' $cur)\n"
        "        set -l path (string replace -r -- '^--[^=]*=' '' $cur)\n"
        "        if test (math \"$directive % 2\") -eq 1\n"
        "            printf '%s\\n' \"$prefix\"(__fish_complete_path $path)\n"
        "        else\n"
        "            printf '%s\\n' \"$prefix\"(__fish_complete_directories $path)\n"
        "        end\n"
        "    end\n"
        "end\n"
        "\n"
        "complete -c ctr -e\n"
        "complete -c ctr -f -a '(__ctr_complete)'\n";

static const struct {
    const char *shell;
    const char *script;
} scripts[] = {
        {"bash", bash_script},
        {"zsh", zsh_script},
        {"fish", fish_script},
};

static const struct cmd_option options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_completion(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    int c;

    (void)ctx;
    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'h':
            cmd_print_help(&ctr_cmd_completion);
            return 0;
        default:
            return cmd_getopt_error("completion", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("completion", err, "needs a shell: bash, zsh or fish");
    if (argc - optind > 1)
        return cmd_usage_error("completion", err, "takes one shell, got %d", argc - optind);
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        if (strcmp(argv[optind], scripts[i].shell) == 0) {
            fputs(scripts[i].script, stdout);
            return 0;
        }
    }
    return cmd_usage_error("completion", err, "takes bash, zsh or fish, not '%s'", argv[optind]);
}

const struct ctr_command ctr_cmd_completion = {
        .name = "completion",
        .run = cmd_completion,
        .summary = "Print the shell completion script for bash, zsh or fish",
        .synopsis = "completion bash|zsh|fish",
        .description =
                "Print the completion script of a shell.  To enable it for yourself:\n"
                "\n"
                "  bash  add 'source <(ctr completion bash)' to ~/.bashrc\n"
                "  zsh   add 'source <(ctr completion zsh)' to ~/.zshrc, after compinit\n"
                "  fish  run 'ctr completion fish > ~/.config/fish/completions/ctr.fish'\n"
                "\n"
                "Installed packages put the scripts where each shell finds them by itself.\n"
                "Commands, options and their values are completed, and so are container names\n"
                "(only stopped ones for start, running ones for stop, exec, kill...), images,\n"
                "signals, capabilities, --network modes and --format fields.\n",
        .options = options,
        .operand = CMD_COMPLETE_VALUES,
        .operand_values = "bash zsh fish",
};
