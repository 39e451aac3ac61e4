/*
 * Temporaries that must not outlive an interrupted run. A registered path
 * is removed when SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGPIPE arrives (a
 * folder: its files, then the folder; it must hold no sub-folders); the
 * signal then takes its previous action (by default the process ends with that signal). A signal
 * the process ignored stays ignored. Call from one thread (the main one);
 * a signal that other threads receive is handled too.
 */
#ifndef MHA_SIGNAL_CLEANUP_H
#define MHA_SIGNAL_CLEANUP_H

/* Slots for registered paths; atomic_file uses one per open file. */
#define SIGNAL_CLEANUP_SLOTS 16

/* Registers path (a file, or a flat folder when is_folder). Returns a slot >= 0, or -1 (no slot free, path
 * longer than PATH_MAX). */
int signal_cleanup_add(const char *path, int is_folder);

/* Forgets a slot (the path is not removed); slot -1 is ignored. */
void signal_cleanup_forget(int slot);

/* Holds those signals back until signal_cleanup_release, so that several renames happen together. */
void signal_cleanup_hold(void);
void signal_cleanup_release(void);

#endif
