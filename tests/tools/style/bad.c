// SPDX-License-Identifier: GPL-2.0
/* A file checkpatch must object to (tests/tools/style_check_test). */
int cp_bad(int a){
    return a+1;
}
