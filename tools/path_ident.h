/*
 * What file a path names: symlinks followed, also for a file not yet
 * created (the resolved folder plus the name), so that two spellings of
 * one file can be told apart from two files.
 */
#ifndef MHA_PATH_IDENT_H
#define MHA_PATH_IDENT_H

/*
 * The absolute path of the file path names, every symlink followed (a
 * dangling one to where it points). malloc'd; NULL with errno set when the
 * folder does not exist or a link loops.
 */
char *path_resolve(const char *path);

/* 1 when a and b name the same file (same device and inode, or the same resolved path), else 0. */
int path_same_file(const char *a, const char *b);

#endif
