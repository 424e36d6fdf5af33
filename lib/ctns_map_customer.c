/*
 * Copyright (C) ct-netsuite authors
 *
 * Customers: registered ones are upserted as ct-cust-<customerId>; guests
 * either share one customer per store (ct-guest-<storeKey>, or a customer
 * named in the routing rule) or get one each, keyed by a hash of the
 * e-mail address (an address has characters external ids cannot carry).
 */


#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctns_map_int.h"


/* "ct-guest-" + 32 hex digits of SHA-256(lower-case address) */
static void
ctns_map_customer_email_eid(const char *email, char *buf, size_t len)
{
    size_t         i, n;
    unsigned char  md[EVP_MAX_MD_SIZE];
    unsigned int   mdlen;
    char           lower[320];

    n = strlen(email);
    n = n < sizeof(lower) ? n : sizeof(lower) - 1;

    for (i = 0; i < n; i++) {
        lower[i] = (char) tolower((unsigned char) email[i]);
    }

    if (EVP_Digest(lower, n, md, &mdlen, EVP_sha256(), NULL) != 1
        || len < 9 + 33)
    {
        buf[0] = '\0';
        return;
    }

    memcpy(buf, "ct-guest-", 9);

    for (i = 0; i < 16; i++) {
        snprintf(buf + 9 + 2 * i, 3, "%02x", md[i]);
    }
}


/*
 * The external id of the order's customer, or "" when the routing rule
 * names an existing guest customer.
 */
void
ctns_map_customer_eid(const ctns_map_doc_t *doc, char *buf, size_t len)
{
    const char  *id, *email, *store;

    id = ctns_map_str(doc->order, "customerId");
    email = ctns_map_str(doc->order, "customerEmail");
    store = ctns_map_str(json_object_get(doc->order, "store"), "key");

    buf[0] = '\0';

    if (id && ctns_map_eid(buf, len, "ct-cust-", id, NULL) == 0) {
        return;
    }

    if (doc->conf->guests_by_email && email) {
        ctns_map_customer_email_eid(email, buf, len);
        return;
    }

    if (doc->route->guest_customer) {
        buf[0] = '\0';
        return;
    }

    if (store == NULL || ctns_map_eid(buf, len, "ct-guest-", store, NULL) != 0)
    {
        snprintf(buf, len, "ct-guest-default");
    }
}


/* isPerson + names, or companyName: what NetSuite requires of either */
static void
ctns_map_customer_names(json_t *body, const char *company,
    const char *first, const char *last, const char *fallback)
{
    if (company && *company) {
        json_object_set_new(body, "isPerson", json_false());
        json_object_set_new(body, "companyName", ctns_map_text(company, 83));
        return;
    }

    json_object_set_new(body, "isPerson", json_true());
    json_object_set_new(body, "firstName",
                        ctns_map_text(first && *first ? first : "-", 32));
    json_object_set_new(body, "lastName",
                        ctns_map_text(last && *last ? last : fallback, 32));
}


static void
ctns_map_customer_common(json_t *body, const ctns_map_route_t *route,
    const char *email)
{
    if (email) {
        json_object_set_new(body, "email", ctns_map_text(email, 254));
    }

    ctns_map_set_ref(body, "subsidiary", route->subsidiary);
    ctns_map_set_ref(body, "currency", route->currency);
}


int
ctns_map_customer_for_order(const ctns_map_conf_t *conf,
    const ctns_map_doc_t *doc, ctns_plan_t *plan, char *err, size_t errlen)
{
    json_t        *body;
    const json_t  *addr;
    const char    *store;
    char           eid[128], name[128];

    ctns_map_customer_eid(doc, eid, sizeof(eid));

    if (!conf->upsert_on_order || eid[0] == '\0') {
        return 0;
    }

    body = json_object();

    if (strncmp(eid, "ct-guest-", 9) == 0 && !conf->guests_by_email) {
        store = ctns_map_str(json_object_get(doc->order, "store"), "key");
        snprintf(name, sizeof(name), "Web guests %s",
                 store ? store : "(no store)");
        ctns_map_customer_names(body, name, NULL, NULL, NULL);
        ctns_map_customer_common(body, doc->route, NULL);

    } else {
        addr = json_object_get(doc->order, "billingAddress");
        addr = addr ? addr : json_object_get(doc->order, "shippingAddress");

        ctns_map_customer_names(body, ctns_map_str(addr, "company"),
                                ctns_map_str(addr, "firstName"),
                                ctns_map_str(addr, "lastName"),
                                ctns_map_str(doc->order, "customerEmail")
                                ? ctns_map_str(doc->order, "customerEmail")
                                : doc->number);
        ctns_map_customer_common(body, doc->route,
                                 ctns_map_str(doc->order, "customerEmail"));
    }

    if (ctns_map_op(plan, CTNS_OP_UPSERT, "customer", eid, body) == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return -1;
    }

    return 0;
}


/* the country of the customer's default billing (else first) address */
static const char *
ctns_map_customer_country(const json_t *customer)
{
    size_t       i;
    json_t      *a;
    const char  *want, *id;

    want = ctns_map_str(customer, "defaultBillingAddressId");

    json_array_foreach(json_object_get(customer, "addresses"), i, a) {
        id = ctns_map_str(a, "id");

        if (want == NULL || (id && strcmp(id, want) == 0)) {
            return ctns_map_str(a, "country");
        }
    }

    return NULL;
}


int
ctns_map_customer_created(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int                      rc;
    json_t                  *body;
    const json_t            *cust;
    const char              *id, *store, *country, *email;
    const ctns_map_route_t  *route;
    char                     eid[128], path[160];

    cust = json_object_get(in->payload, "customer");

    if (cust == NULL) {
        snprintf(path, sizeof(path), "customers/%s", in->event->rid);
        rc = ctns_map_need(in, path, &cust);

        if (rc <= 0) {
            if (rc == 0) {
                return CTNS_MAP_NEED;
            }

            plan->ignored = 1;
            snprintf(plan->reason, sizeof(plan->reason),
                     "customer %s no longer exists", in->event->rid);
            return CTNS_MAP_OK;
        }
    }

    id = ctns_map_str(cust, "id");
    email = ctns_map_str(cust, "email");
    store = ctns_map_str(json_array_get(json_object_get(cust, "stores"), 0),
                         "key");
    country = ctns_map_customer_country(cust);

    if (id == NULL || ctns_map_eid(eid, sizeof(eid), "ct-cust-", id, NULL)
                      != 0)
    {
        ctns_map_err(err, errlen, "customer without a usable id");
        return CTNS_MAP_ERROR;
    }

    route = ctns_map_route(conf, store, country, NULL, NULL, 0);

    if (route == NULL) {
        ctns_map_err(err, errlen, "no routing rule matches customer %s "
                     "(store %s, country %s)", id, store ? store : "-",
                     country ? country : "-");
        return CTNS_MAP_ERROR;
    }

    body = json_object();
    ctns_map_customer_names(body, ctns_map_str(cust, "companyName"),
                            ctns_map_str(cust, "firstName"),
                            ctns_map_str(cust, "lastName"),
                            email ? email : id);
    ctns_map_customer_common(body, route, email);

    if (ctns_map_op(plan, CTNS_OP_UPSERT, "customer", eid, body) == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    return CTNS_MAP_OK;
}
