/* SPDX-License-Identifier: MIT */
/*
 * Force-included into every host-test object: the project's own lib/
 * functions that share a name with the C library are renamed, so the host
 * binaries test our implementations while libc (and the sanitizers'
 * interceptors) keep theirs.
 */
#ifndef TDPVISOR_HOST_NAMES_H
#define TDPVISOR_HOST_NAMES_H
#define vsnprintf hv_vsnprintf
#define snprintf hv_snprintf
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memset hv_memset
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strchr hv_strchr
#define strrchr hv_strrchr
#define strscpy hv_strscpy
#define printk hv_printk
#define vprintk hv_vprintk
#define panic hv_panic
#endif
