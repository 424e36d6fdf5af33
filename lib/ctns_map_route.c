/*
 * Copyright (C) ct-netsuite authors
 *
 * Routing: ordered rules on store, country, currency and payment method
 * choose subsidiary, currency, location, department, class and accounts.
 * The first rule whose every given criterion matches wins.
 */


#include <string.h>

#include "ctns_map_int.h"


static int
ctns_map_route_eq(const char *want, const char *have)
{
    return want == NULL || (have && strcmp(want, have) == 0);
}


/*
 * A criterion on a value the order lacks (no payment yet) is not a match;
 * a customer has no currency or payment method at all, so for customers
 * (orders == 0) rules are matched on store and country alone.
 */
const ctns_map_route_t *
ctns_map_route(const ctns_map_conf_t *conf, const char *store,
    const char *country, const char *currency, const char *method,
    int orders)
{
    size_t                   i;
    const ctns_map_route_t  *r;

    for (i = 0; i < conf->nroutes; i++) {
        r = &conf->routes[i];

        if (ctns_map_route_eq(r->store, store)
            && ctns_map_route_eq(r->country, country)
            && (!orders || ctns_map_route_eq(r->currency_code, currency))
            && (!orders || ctns_map_route_eq(r->payment_method, method)))
        {
            return r;
        }
    }

    return NULL;
}


static const char *
ctns_map_order_country(const json_t *order)
{
    const char  *c;

    c = ctns_map_str(order, "country");

    if (c == NULL) {
        c = ctns_map_str(json_object_get(order, "shippingAddress"),
                         "country");
    }

    if (c == NULL) {
        c = ctns_map_str(json_object_get(order, "billingAddress"), "country");
    }

    return c;
}


int
ctns_map_route_order(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    char *err, size_t errlen)
{
    const char  *store, *country;

    store = ctns_map_str(json_object_get(doc->order, "store"), "key");
    country = ctns_map_order_country(doc->order);

    doc->route = ctns_map_route(conf, store, country, doc->currency,
                                doc->method, 1);

    if (doc->route == NULL) {
        ctns_map_err(err, errlen,
                     "no routing rule matches order %s (store %s, country "
                     "%s, currency %s, payment method %s)", doc->number,
                     store ? store : "-", country ? country : "-",
                     doc->currency, doc->method ? doc->method : "-");
        return -1;
    }

    return 0;
}
