/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

int main(int argc, char **argv)
{
    return ctr_cli_main(argc, argv);
}
