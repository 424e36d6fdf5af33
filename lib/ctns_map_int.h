/*
 * Copyright (C) ct-netsuite authors
 *
 * Internals shared by the lib/ctns_map_*.c files: the loaded configuration,
 * the document model (an order turned into NetSuite lines in integer minor
 * units) and the plan builders.
 */

#ifndef _CTNS_MAP_INT_H_INCLUDED_
#define _CTNS_MAP_INT_H_INCLUDED_


#include <stdint.h>

#include "ctns_map.h"
#include "ctns_money.h"


#define CTNS_MAP_MAX_PARTS       8
#define CTNS_MAP_MAX_DELIVERIES  64


typedef struct {
    const char         *store;           /* match criteria, NULL = any */
    const char         *country;
    const char         *currency_code;
    const char         *payment_method;

    const json_t       *subsidiary;      /* NetSuite references */
    const json_t       *currency;
    const json_t       *location;
    const json_t       *department;
    const json_t       *klass;
    const json_t       *clearing;        /* bank account of receipts */
    const json_t       *undeposited;     /* the undeposited-funds account */
    const json_t       *refund_account;
    const json_t       *giftcard;        /* bank account of gift cards */
    const json_t       *guest_customer;
} ctns_map_route_t;


typedef struct {
    const char         *rate_name;       /* criteria, NULL = any */
    const char         *name;
    const char         *country;
    const char         *state;
    int64_t             rate;            /* ppm, -1 = any */
    const json_t       *code;
} ctns_map_taxcode_t;


struct ctns_map_conf_s {
    json_t             *owned;           /* array keeping every ref alive */
    json_t             *root;            /* copy of the mapping sections */

    ctns_map_route_t   *routes;
    size_t              nroutes;
    unsigned            route_by_method:1;

    const json_t       *skus;            /* object sku -> ref */
    const char         *sku_prefix;
    const json_t       *custom_lines;    /* object slug/key -> ref */
    const json_t       *fallback_item;
    const json_t       *rounding_item;
    const json_t       *rounding_down;   /* negative rounding, optional */
    const json_t       *refund_item;
    const char         *locale;

    unsigned            tax_override:1;
    unsigned            rounding_by_item:1;
    ctns_map_taxcode_t *codes;
    size_t              ncodes;
    const json_t       *default_code;
    const json_t       *refund_code;

    unsigned            discount_by_item:1;
    const json_t       *discount_item;

    unsigned            ship_by_line:1;
    const json_t       *ship_methods;    /* object name/id/key -> ref */
    const json_t       *ship_default;
    const json_t       *ship_item;

    const json_t       *gc_purchase_item;
    const json_t       *gc_purchase_prefixes;
    const json_t       *gc_redemption_item;
    const json_t       *gc_redemption_prefixes;
    const json_t       *gc_methods;
    const json_t       *gc_account;

    const json_t       *undeposited;
    const json_t       *refund_account;
    const json_t       *psp;             /* object psp -> {clearing, ...} */

    unsigned            cash_sale:1;
    unsigned            invoice_on_order:1;
    unsigned            payments:1;
    unsigned            refunds:1;
    unsigned            cancellations:1;
    unsigned            guests_by_email:1;
    unsigned            upsert_on_order:1;

    const char         *cf_order_id;     /* custom field ids, NULL = none */
    const char         *cf_cart_id;
    const char         *cf_payment_ref;
    const char         *cf_order_number;
    const char         *cf_psp_name;
    const char         *cf_psp_ref;
};


typedef struct {
    const char         *name;
    int64_t             rate;            /* ppm */
    int64_t             amount;          /* minor units */
    const json_t       *tax_rate;        /* commercetools TaxRate, or NULL */
    const json_t       *code;            /* NetSuite tax code */
} ctns_map_part_t;


typedef enum {
    CTNS_LINE_ITEM = 0,
    CTNS_LINE_CUSTOM,
    CTNS_LINE_SHIPPING,
    CTNS_LINE_DISCOUNT,
    CTNS_LINE_ROUNDING,
    CTNS_LINE_REFUND
} ctns_map_line_kind_e;


typedef struct {
    ctns_map_line_kind_e  kind;
    const char           *ct_id;         /* line item / custom line id or
                                            shipping key */
    char                  desc[160];
    const json_t         *item;
    const json_t         *ship_method;   /* shipping lines */
    const json_t         *line_code;     /* taxCode on the line */
    int64_t               quantity;
    int64_t               net;
    ctns_map_part_t       parts[CTNS_MAP_MAX_PARTS];
    size_t                nparts;
    unsigned              header:1;      /* shipping as header fields */
} ctns_map_line_t;


typedef struct {
    const ctns_map_conf_t  *conf;
    const json_t           *order;
    const char             *id;
    const char             *number;
    char                    currency[4];
    int                     digits;
    const ctns_map_route_t *route;
    const char             *method;      /* payment method, or NULL */
    ctns_map_line_t        *lines;
    size_t                  nlines;
    size_t                  cap;
    int64_t                 total;       /* the document total to reach */
    int64_t                 total_net;
    json_t                 *owned;       /* refs made up for this order */
} ctns_map_doc_t;


/* ctns_map_util.c */
ctns_op_t *ctns_map_op(ctns_plan_t *plan, ctns_op_kind_e kind,
    const char *type, const char *eid, json_t *body);
void ctns_map_op_read(ctns_op_t *op, const char *type, const char *eid,
    ctns_op_derive_pt derive);
int ctns_map_set(ctns_plan_t *plan, const char *key, char *value);
int ctns_map_eid(char *buf, size_t len, const char *prefix, const char *id,
    const char *suffix);
json_t *ctns_map_text(const char *s, size_t max);
void ctns_map_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *ctns_map_str(const json_t *obj, const char *key);
const json_t *ctns_map_path(const json_t *obj, const char *path);
json_t *ctns_map_ref_eid(const char *eid);
void ctns_map_set_ref(json_t *body, const char *key, const json_t *ref);
const char *ctns_map_lstr(const json_t *localized, const char *locale);
void ctns_map_date(json_t *body, const char *iso);
int ctns_map_need(ctns_map_input_t *in, const char *path,
    const json_t **out);

/* ctns_map_route.c */
const ctns_map_route_t *ctns_map_route(const ctns_map_conf_t *conf,
    const char *store, const char *country, const char *currency,
    const char *method, int orders);
int ctns_map_route_order(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    char *err, size_t errlen);

/* ctns_map_tax.c */
int ctns_map_tax_resolve(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    char *err, size_t errlen);
int ctns_map_tax_parts(const json_t *taxed, const json_t *tax_rate,
    ctns_map_line_t *line, int64_t *net, char *err, size_t errlen);
json_t *ctns_map_tax_rows(const ctns_map_doc_t *doc,
    const ctns_map_line_t *lines, size_t n);
void ctns_map_tax_amounts(const ctns_map_doc_t *doc, json_t *arg,
    const ctns_map_line_t *lines, size_t n);
void ctns_map_tax_op(ctns_plan_t *plan, const char *type, const char *eid,
    json_t *rows);

/* ctns_map_doc.c */
int ctns_map_doc_order(const ctns_map_conf_t *conf, const json_t *order,
    const char *method, ctns_map_doc_t *doc, char *err, size_t errlen);
void ctns_map_doc_free(ctns_map_doc_t *doc);
int64_t ctns_map_line_gross(const ctns_map_line_t *line);
void ctns_map_line_scale(const ctns_map_line_t *from, ctns_map_line_t *to,
    int64_t before, int64_t part, int64_t whole);

/* ctns_map_body.c */
void ctns_map_doc_lines(const ctns_map_doc_t *doc, json_t *body,
    const ctns_map_line_t *lines, size_t n);
json_t *ctns_map_doc_header(const ctns_map_doc_t *doc, const char *eid,
    const char *memo_prefix);
json_t *ctns_map_customer_ref(const ctns_map_doc_t *doc);

/* ctns_map_customer.c */
int ctns_map_customer_for_order(const ctns_map_conf_t *conf,
    const ctns_map_doc_t *doc, ctns_plan_t *plan, char *err, size_t errlen);
int ctns_map_customer_created(const ctns_map_conf_t *conf,
    ctns_map_input_t *in, ctns_plan_t *plan, char *err, size_t errlen);
void ctns_map_customer_eid(const ctns_map_doc_t *doc, char *buf,
    size_t len);

/* ctns_map_order.c */
int ctns_map_order_created(const ctns_map_conf_t *conf,
    ctns_map_input_t *in, ctns_plan_t *plan, char *err, size_t errlen);
int ctns_map_order_sync(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen);
int ctns_map_order_docs(const ctns_map_doc_t *doc, ctns_plan_t *plan,
    char *err, size_t errlen);
int ctns_map_order_doc(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    const char *order_id, ctns_map_doc_t *doc, char *err, size_t errlen);

/* ctns_map_ship.c */
int ctns_map_shipped(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen);
int ctns_map_ship_sync(const ctns_map_doc_t *doc, ctns_plan_t *plan,
    char *err, size_t errlen);
void ctns_map_invoice_all(const ctns_map_doc_t *doc, ctns_plan_t *plan,
    const char *eid, const char *memo_prefix);
const char *ctns_map_invoiced_before(const ctns_map_doc_t *doc,
    const char *at);

/* ctns_map_payment.c */
int ctns_map_payment(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen);
void ctns_map_pay_account(json_t *body, const ctns_map_conf_t *conf,
    const ctns_map_route_t *route, const json_t *payment, int refund);
const char *ctns_map_psp_ref(const json_t *payment, const json_t *tx);
void ctns_map_after_order(ctns_op_t *op, const ctns_map_doc_t *doc);
json_t *ctns_map_pay_body(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, const char *eid, const char *what);
void ctns_map_psp_index(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, const char *type, const char *eid, int64_t amount,
    ctns_plan_t *plan);
ctns_op_t *ctns_map_transform_op(ctns_plan_t *plan, const char *type,
    const char *eid, json_t *body, const char *from_type,
    const char *from_eid);

/* ctns_map_refund.c */
int ctns_map_refund(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    const json_t *payment, const json_t *tx, ctns_plan_t *plan,
    char *err, size_t errlen);


#endif /* _CTNS_MAP_INT_H_INCLUDED_ */
