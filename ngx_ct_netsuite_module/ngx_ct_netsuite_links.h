
/*
 * Copyright (C) ct-netsuite authors
 */


#ifndef _NGX_CT_NETSUITE_LINKS_H_INCLUDED_
#define _NGX_CT_NETSUITE_LINKS_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"

#include <jansson.h>


/* Adds "link" to each record {"type","id","externalId"} with a template. */
void ngx_ct_netsuite_links(ngx_http_request_t *r, json_t *records);

char *ngx_ct_netsuite_status_link_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


#endif /* _NGX_CT_NETSUITE_LINKS_H_INCLUDED_ */
