/* SPDX-License-Identifier: MIT */
/* Error codes: functions that can run out of a resource or reject input
 * return 0 or a negative one of these. */
#ifndef TDPVISOR_ERRCODE_H
#define TDPVISOR_ERRCODE_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define EOPNOTSUPP 95

#endif
