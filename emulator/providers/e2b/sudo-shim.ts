/**
 * E2B's user may `sudo` without a password, and code written for its sandboxes does (`sudo
 * apt-get install`, `sudo echo`). Here a process runs as the emulator's own user on the host,
 * where `sudo` would ask for a password (and hang in the background) or, allowed, act as root
 * on the developer's machine. So every E2B sandbox gets a `sudo` of its own: a bash function,
 * exported through the environment (`BASH_FUNC_sudo%%`, as bash exports one), that drops sudo's
 * options and runs the command unprivileged. The SDK runs commands with bash (`/bin/bash -l -c`),
 * which imports it, and a login shell's /etc/profile leaves functions alone, where it resets
 * PATH. What needed root then fails as the user's, with the command's own error.
 */
export const SUDO_ENV: Record<string, string> = {
  'BASH_FUNC_sudo%%': [
    '() {',
    'while [ $# -gt 0 ]; do case "$1" in',
    // Options that take a value as the next word; `--` ends them; any other is dropped.
    '--) shift; break ;; -u|-g|-p|-C|-h|-D|-r|-t|-U|-T|-R) shift 2 ;; -*) shift ;; *) break ;;',
    'esac; done;',
    // `sudo -v`, `sudo -k`: nothing to run, nothing to do.
    '[ $# -eq 0 ] && return 0;',
    '"$@"; }',
  ].join(' '),
};
