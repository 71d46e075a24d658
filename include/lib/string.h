/* SPDX-License-Identifier: MIT */
/* Freestanding string and memory functions (lib/string.c). */
#ifndef TDPVISOR_STRING_H
#define TDPVISOR_STRING_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* The first place needle occurs in hay, or NULL. */
char *strstr(const char *hay, const char *needle);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/*
 * Copies at most size-1 bytes of src and always terminates dst (size > 0).
 * Returns the length copied, or -E2BIG when src was truncated.
 */
long strscpy(char *dst, const char *src, size_t size);

/* "yes" or "no", for a log line. */
static inline const char *str_yes_no(bool b)
{
	return b ? "yes" : "no";
}

#endif
