# SPDX-License-Identifier: Apache-2.0
# fish completion for ctr.  Made by `ctr completion fish`; do not edit.  The
# candidates come from `ctr __complete`, which reads ctr's own command table
# and, read-only, its store (cmd/complete.c).
#
# Enable it with `ctr completion fish | source`, or install it as
# ~/.config/fish/completions/ctr.fish (or in fish's vendor_completions.d).

function __ctr_complete
    # The words after ctr up to the cursor, unquoted; the word being completed last.
    set -l args (commandline -opc)
    set -l ctr $args[1]
    set -e args[1]
    set -l cur (commandline -ct)
    set cur (string replace -r -- '^[\'"]' '' $cur)
    set -l out (command $ctr __complete $args "$cur" 2>/dev/null)
    or return
    set -l directive (string replace -r -- '^:' '' $out[-1])
    string match -qr -- '^[0-9]+$' "$directive"
    or return
    set -e out[-1]
    set -q out[1]
    and printf '%s\n' $out
    if test (math "$directive % 4") -ne 0
        # Files for the value of "--opt=VALUE" too.
        set -l prefix (string match -r -- '^--[^=]*=' $cur)
        set -l path (string replace -r -- '^--[^=]*=' '' $cur)
        if test (math "$directive % 2") -eq 1
            printf '%s\n' "$prefix"(__fish_complete_path $path)
        else
            printf '%s\n' "$prefix"(__fish_complete_directories $path)
        end
    end
end

complete -c ctr -e
complete -c ctr -f -a '(__ctr_complete)'
