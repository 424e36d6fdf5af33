/*
 * Reconciliation matching and report formats.
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_reconcile.h"


static void
item(ctns_recon_set_t *s, const char *eid, long total, int in_range)
{
    ctns_recon_item_t  *it;

    it = ctns_recon_add(s);
    snprintf(it->eid, sizeof(it->eid), "%s", eid);
    snprintf(it->type, sizeof(it->type), "salesOrder");
    snprintf(it->ref, sizeof(it->ref), "ORD-%s", eid + 9);
    snprintf(it->currency, sizeof(it->currency), "EUR");
    it->digits = 2;
    it->total = total;
    it->in_range = in_range;
}


static char *
print(const ctns_recon_report_t *rep, const char *format)
{
    FILE    *f;
    char    *buf;
    size_t   len;

    f = open_memstream(&buf, &len);
    CHECK_INT(ctns_recon_print(rep, format, f), 0);
    fclose(f);

    return buf;
}


int
main(void)
{
    char                 *out;
    json_t               *j;
    ctns_recon_set_t      ct, ns;
    ctns_recon_report_t   rep;
    ctns_recon_gap_t     *g;

    memset(&ct, 0, sizeof(ct));
    memset(&ns, 0, sizeof(ns));
    memset(&rep, 0, sizeof(rep));

    item(&ct, "ct-order-b", 1000, 1);     /* same: matched */
    item(&ns, "ct-order-b", 1000, 1);
    item(&ct, "ct-order-a", 5999, 1);     /* missing in NetSuite */
    item(&ct, "ct-order-c", 2500, 1);     /* total differs */
    item(&ns, "ct-order-c", 2400, 1);
    item(&ns, "ct-order-d", 700, 1);      /* extra */
    item(&ct, "ct-order-e", 100, 0);      /* margin, missing: not a gap */
    item(&ns, "ct-order-f", 100, 0);      /* margin, extra: not a gap */
    item(&ct, "ct-order-g", 300, 0);      /* margin in ct, in range in ns */
    item(&ns, "ct-order-g", 300, 1);

    CHECK_INT(ctns_reconcile(&ct, &ns, &rep), 0);
    CHECK_INT(rep.n, 3);
    CHECK_INT(rep.compared, 4);
    CHECK_INT(rep.matched, 2);

    if (rep.n == 3) {
        CHECK_INT(rep.gaps[0].kind, CTNS_GAP_MISSING);
        CHECK_STR(rep.gaps[0].eid, "ct-order-a");
        CHECK_INT(rep.gaps[1].kind, CTNS_GAP_TOTAL);
        CHECK_INT(rep.gaps[1].ct_total, 2500);
        CHECK_INT(rep.gaps[1].ns_total, 2400);
        CHECK_INT(rep.gaps[2].kind, CTNS_GAP_EXTRA);
        CHECK_STR(rep.gaps[2].eid, "ct-order-d");
    }

    g = ctns_recon_gap_add(&rep);
    g->kind = CTNS_GAP_DEAD;
    snprintf(g->eid, sizeof(g->eid), "1700000000000-0");
    snprintf(g->ref, sizeof(g->ref), "order/x");
    snprintf(g->detail, sizeof(g->detail), "USER_ERROR: \"Invalid\", line 2");

    out = print(&rep, "table");
    CHECK(strstr(out, "total    ct-order-c") != NULL);
    CHECK(strstr(out, "25.00          24.00") != NULL);
    CHECK(strstr(out, "4 compared, 2 matched, 4 gaps") != NULL);
    free(out);

    out = print(&rep, "csv");
    CHECK(strncmp(out, "gap,external_id,type,reference,netsuite_id,currency,"
                  "commercetools_total,netsuite_total,detail\r\n", 89) == 0);
    CHECK(strstr(out, "missing,ct-order-a,salesOrder,ORD-a,,EUR,59.99,,not "
                 "in NetSuite\r\n") != NULL);
    CHECK(strstr(out, "total,ct-order-c,salesOrder,ORD-c,,EUR,25.00,24.00,"
                 "totals differ\r\n") != NULL);
    CHECK(strstr(out, "extra,ct-order-d,salesOrder,ORD-d,,EUR,,7.00,") != NULL);
    CHECK(strstr(out, ",\"USER_ERROR: \"\"Invalid\"\", line 2\"\r\n")
          != NULL);
    free(out);

    out = print(&rep, "json");
    j = json_loads(out, 0, NULL);
    CHECK(j != NULL);
    CHECK_INT(json_integer_value(json_object_get(j, "gapCount")), 4);
    CHECK_STR(json_string_value(json_object_get(json_array_get(
        json_object_get(j, "gaps"), 1), "netsuiteTotal")), "24.00");
    CHECK(json_object_get(json_array_get(json_object_get(j, "gaps"), 0),
                          "netsuiteTotal") == NULL
          || json_is_null(json_object_get(json_array_get(
                 json_object_get(j, "gaps"), 0), "netsuiteTotal")));
    json_decref(j);
    free(out);

    CHECK_INT(ctns_recon_print(&rep, "xml", stdout), -1);

    ctns_recon_report_free(&rep);
    ctns_recon_set_free(&ct);
    ctns_recon_set_free(&ns);

    /* nothing on either side: no gaps */
    CHECK_INT(ctns_reconcile(&ct, &ns, &rep), 0);
    CHECK_INT(rep.n, 0);
    ctns_recon_report_free(&rep);

    TEST_DONE();
}
