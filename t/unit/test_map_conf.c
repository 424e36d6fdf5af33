/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns_map_conf_load(): every example configuration (examples/mapping/ and
 * each JSON block of docs/mapping.md) loads; every mistake is reported with
 * its exact JSON path, all of them in one run.
 */


#include <dirent.h>

#include "ctns_map_test.h"


#define REPO  "../.."

static const char  base[] =
    "{\"routing\":[{\"subsidiary\":\"1\"}],\"items\":{\"fallback\":\"109\"},"
    "\"tax\":{\"default_code\":\"505\"},"
    "\"shipping\":{\"default_method\":\"301\"},"
    "\"accounts\":{\"refund\":\"122\"}}";


/* base with patch merged in (objects merge, anything else replaces) */
static ctns_map_conf_t *
load_patch(const char *patch, ctns_conf_errors_t *errs)
{
    json_t           *root, *p;
    ctns_map_conf_t  *conf;

    root = json_loads(base, 0, NULL);
    p = json_loads(patch, 0, NULL);

    if (root == NULL || p == NULL) {
        fprintf(stderr, "test patch is not JSON: %s\n", patch);
        json_decref(root);
        return NULL;
    }

    json_object_update_recursive(root, p);
    conf = ctns_map_conf_load(root, errs);

    json_decref(root);
    json_decref(p);

    return conf;
}


static int
has_error(const ctns_conf_errors_t *errs, const char *path, const char *msg)
{
    size_t  i;

    for (i = 0; i < errs->n; i++) {
        if (strcmp(errs->items[i].path, path) == 0
            && strstr(errs->items[i].msg, msg) != NULL)
        {
            return 1;
        }
    }

    return 0;
}


static void
test_errors(void)
{
    size_t               i;
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t   errs;

    static const struct {
        const char  *patch;
        const char  *path;
        const char  *msg;
    } cases[] = {
        { "{\"routing\":[]}", "routing", "non-empty array" },
        { "{\"routing\":{}}", "routing", "non-empty array" },
        { "{\"routing\":[{\"match\":{\"store\":5},\"subsidiary\":\"1\"}]}",
          "routing[0].match.store", "non-empty string" },
        { "{\"routing\":[{\"match\":{\"region\":\"eu\"},"
          "\"subsidiary\":\"1\"}]}", "routing[0].match.region",
          "unknown field" },
        { "{\"routing\":[{\"subsidiary\":\"x1\"}]}",
          "routing[0].subsidiary", "internal id" },
        { "{\"routing\":[{\"subsidiary\":\"1\"},{\"location\":\"2\"}]}",
          "routing[1].subsidiary", "is required" },
        { "{\"routing\":[{\"subsidary\":\"1\",\"subsidiary\":\"1\"}]}",
          "routing[0].subsidary", "unknown field" },
        { "{\"routing\":[{\"subsidiary\":{\"id\":\"1\",\"externalId\":"
          "\"s\"}}]}", "routing[0].subsidiary", "internal id" },
        { "{\"items\":{\"skus\":{\"A-1\":{\"externalId\":\"a b\"}}}}",
          "items.skus.A-1", "externalId" },
        { "{\"items\":{\"skus\":[]}}", "items.skus", "must be an object" },
        { "{\"items\":{\"fallback\":null}}", "items", "needs" },
        { "{\"tax\":{\"mode\":\"exact\"}}", "tax.mode", "must be one of" },
        { "{\"tax\":{\"codes\":[{\"rate\":15,\"code\":\"1\"}]}}",
          "tax.codes[0].rate", "between 0 and 1" },
        { "{\"tax\":{\"codes\":[{\"country\":\"US\"}]}}",
          "tax.codes[0].code", "is required" },
        { "{\"tax\":{\"codes\":[{\"cuntry\":\"US\",\"code\":\"1\"}]}}",
          "tax.codes[0].cuntry", "unknown field" },
        { "{\"tax\":{\"default_code\":null}}", "tax.codes", "is required" },
        { "{\"tax\":{\"rounding\":\"item\"}}", "tax.rounding",
          "items.rounding" },
        { "{\"discounts\":{\"mode\":\"item\"}}", "discounts.item",
          "is required" },
        { "{\"shipping\":{\"mode\":\"line\"}}", "shipping.item",
          "is required" },
        { "{\"shipping\":{\"default_method\":null}}", "shipping",
          "\"header\" mode needs" },
        { "{\"flows\":{\"order\":\"cashSale\",\"invoice\":\"on_order\"}}",
          "flows.invoice", "does not apply" },
        { "{\"flows\":{\"payments\":\"yes\"}}", "flows.payments",
          "true or false" },
        { "{\"flows\":{\"order\":\"invoice\"}}", "flows.order",
          "\"salesOrder\", \"cashSale\"" },
        { "{\"customers\":{\"guests\":\"anonymous\"}}", "customers.guests",
          "must be one of" },
        { "{\"custom_fields\":{\"order_id\":\"custbody ct\"}}",
          "custom_fields.order_id", "custom field id" },
        { "{\"custom_fields\":{\"order_id\":\"memo\"}}",
          "custom_fields.order_id", "starting with" },
        { "{\"accounts\":{\"refund\":null}}", "routing[0].refund_account",
          "refunds need an account" },
        { "{\"accounts\":{\"psp\":{\"adyen\":{\"clearing\":\"1\","
          "\"fees\":\"2\"}}}}", "accounts.psp.adyen.fees",
          "unknown field" },
        { "{\"giftcards\":{\"payment_methods\":\"giftcard\"}}",
          "giftcards.payment_methods", "array of strings" },
        { "{\"giftcards\":{\"purchase_prefixes\":[\"\"]}}",
          "giftcards.purchase_prefixes[0]", "non-empty string" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&errs, 0, sizeof(errs));
        conf = load_patch(cases[i].patch, &errs);

        CHECK(conf == NULL);

        if (!has_error(&errs, cases[i].path, cases[i].msg)) {
            ctns_test_failed++;
            fprintf(stderr, "%s: expected an error at %s (%s), got:\n",
                    cases[i].patch, cases[i].path, cases[i].msg);
            ctns_conf_errors_print(&errs, stderr);
        } else {
            ctns_test_passed++;
        }

        ctns_map_conf_free(conf);
        ctns_conf_errors_free(&errs);
    }

    /* all problems at once, not only the first */
    memset(&errs, 0, sizeof(errs));
    conf = load_patch("{\"tax\":{\"mode\":\"x\"},\"flows\":{\"refunds\":1},"
                      "\"routing\":[{\"subsidiary\":\"a\"}]}", &errs);
    CHECK(conf == NULL);
    CHECK_INT(errs.n, 3);
    ctns_conf_errors_free(&errs);

    /* the base itself is valid, and other top-level keys are not ours */
    memset(&errs, 0, sizeof(errs));
    conf = load_patch("{\"netsuite\":{\"anything\":1}}", &errs);
    CHECK(conf != NULL);
    CHECK_INT(errs.n, 0);
    ctns_map_conf_free(conf);
    ctns_conf_errors_free(&errs);

    {
        json_t  *arr = json_array();

        memset(&errs, 0, sizeof(errs));
        CHECK(ctns_map_conf_load(arr, &errs) == NULL);
        CHECK(has_error(&errs, "", "JSON object"));
        ctns_conf_errors_free(&errs);
        json_decref(arr);
    }
}


static void
test_examples(void)
{
    int                  n;
    DIR                 *dir;
    json_t              *root;
    struct dirent       *de;
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t   errs;
    char                 path[512];

    dir = opendir(REPO "/examples/mapping");
    CHECK(dir != NULL);
    n = 0;

    while (dir && (de = readdir(dir)) != NULL) {
        if (strstr(de->d_name, ".json") == NULL) {
            continue;
        }

        snprintf(path, sizeof(path), REPO "/examples/mapping/%s", de->d_name);
        memset(&errs, 0, sizeof(errs));
        root = mt_load(path);
        conf = root ? ctns_map_conf_load(root, &errs) : NULL;

        if (conf == NULL) {
            fprintf(stderr, "%s does not load:\n", path);
            ctns_conf_errors_print(&errs, stderr);
        }

        CHECK(conf != NULL);
        n++;

        ctns_map_conf_free(conf);
        ctns_conf_errors_free(&errs);
        json_decref(root);
    }

    if (dir) {
        closedir(dir);
    }

    CHECK(n >= 4);
}


/*
 * Every ```json block of docs/mapping.md: a complete configuration, or a
 * fragment that must be valid merged over a minimal one.
 */
static void
test_docs(void)
{
    int                  n;
    char                *doc, *p, *end;
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t   errs;

    doc = ctns_test_read_file(REPO "/docs/mapping.md", NULL);
    CHECK(doc != NULL);
    n = 0;

    for (p = doc ? strstr(doc, "```json\n") : NULL; p;
         p = strstr(end + 3, "```json\n"))
    {
        p += 8;
        end = strstr(p, "```");
        if (end == NULL) {
            break;
        }

        *end = '\0';
        memset(&errs, 0, sizeof(errs));
        conf = load_patch(p, &errs);

        if (conf == NULL) {
            fprintf(stderr, "docs/mapping.md block %d does not load:\n%s\n",
                    n + 1, p);
            ctns_conf_errors_print(&errs, stderr);
        }

        CHECK(conf != NULL);
        n++;

        ctns_map_conf_free(conf);
        ctns_conf_errors_free(&errs);
    }

    free(doc);

    CHECK(n >= 5);
}


int
main(void)
{
    test_errors();
    test_examples();
    test_docs();

    TEST_DONE();
}
