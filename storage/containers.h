/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_STORAGE_CONTAINERS_H
#define CTR_STORAGE_CONTAINERS_H

#include "error.h"
#include "store.h"

/* Deletes the row of container `id`; 1 if it was there, 0 if not. */
int storage_container_delete(struct storage *s, const char *id, struct ctr_error **err);

#endif
