"""Record schemas of the simulator: field kinds, references, sublists.

A field kind is a tuple: ("str",), ("num",), ("money",), ("int",),
("bool",), ("date",), ("obj",) opaque object kept as sent, ("enum", ids),
("ref", target types) and ("sub", line schema).  Property names match
case-insensitively; output uses the canonical spelling below.
"""

ITEM_TYPES = ("nonInventorySaleItem", "serviceSaleItem", "inventoryItem",
              "discountItem", "otherChargeSaleItem", "giftCertificateItem",
              "paymentItem")

REFERENCE_TYPES = ("subsidiary", "currency", "location", "department",
                   "classification", "account", "shipItem", "salesTaxItem",
                   "taxType", "term", "paymentMethod") + ITEM_TYPES

SALES_TYPES = ("salesOrder", "invoice", "cashSale", "creditMemo",
               "cashRefund")
TRANSACTION_TYPES = SALES_TYPES + (
    "customerPayment", "customerDeposit", "depositApplication",
    "customerRefund", "deposit", "journalEntry", "itemFulfillment")
WRITABLE_TYPES = ("customer",) + TRANSACTION_TYPES

TRAN_PREFIX = {
    "salesOrder": "SO", "invoice": "INV", "cashSale": "CS",
    "cashRefund": "CRF", "creditMemo": "CM", "customerPayment": "PYMT",
    "customerDeposit": "CD", "depositApplication": "DA", "deposit": "DEP",
    "journalEntry": "JE", "customerRefund": "CR", "itemFulfillment": "IF",
}

TYPE_LABEL = {
    "salesOrder": "Sales Order", "invoice": "Invoice",
    "cashSale": "Cash Sale", "cashRefund": "Cash Refund",
    "creditMemo": "Credit Memo", "customerPayment": "Payment",
    "customerDeposit": "Customer Deposit",
    "depositApplication": "Deposit Application", "deposit": "Deposit",
    "journalEntry": "Journal", "customerRefund": "Customer Refund",
    "itemFulfillment": "Item Fulfillment",
}

# SuiteQL transaction.type and transaction.recordtype.
SUITEQL_TYPE = {
    "salesOrder": "SalesOrd", "invoice": "CustInvc", "cashSale": "CashSale",
    "cashRefund": "CashRfnd", "creditMemo": "CustCred",
    "customerPayment": "CustPymt", "customerRefund": "CustRfnd",
    "customerDeposit": "CustDep", "depositApplication": "DepAppl",
    "deposit": "Deposit", "journalEntry": "Journal",
    "itemFulfillment": "ItemShip",
}

STR = ("str",)
NUM = ("num",)
MONEY = ("money",)
INT = ("int",)
BOOL = ("bool",)
DATE = ("date",)
OBJ = ("obj",)
TF = ("enum", ("T", "F"))


def ref(*targets):
    return ("ref", targets)


SEGMENTS = {
    "location": ref("location"),
    "department": ref("department"),
    "class": ref("classification"),
}

LINES = {
    "item": dict({
        "item": ref(*ITEM_TYPES), "quantity": NUM, "rate": NUM,
        "amount": MONEY, "description": STR, "taxCode": ref("salesTaxItem"),
        "price": OBJ, "isClosed": BOOL, "line": INT, "orderLine": INT,
        "itemReceive": BOOL, "units": OBJ,
        "taxDetailsReference": STR, "quantityBilled": NUM,
        "quantityFulfilled": NUM,
    }, **SEGMENTS),
    "taxDetails": {
        "taxDetailsReference": OBJ, "lineType": STR, "lineName": STR,
        "taxType": OBJ, "taxCode": ref("salesTaxItem"), "taxBasis": NUM,
        "taxRate": NUM, "taxAmount": MONEY, "netAmount": NUM,
        "calcDetail": STR,
    },
    "apply": {
        "doc": ref("invoice", "creditMemo", "customerPayment"),
        "apply": BOOL, "amount": MONEY, "line": INT,
    },
    "deposit": {
        "doc": ref("customerDeposit"), "apply": BOOL, "amount": MONEY,
    },
    "payment": {
        "id": OBJ, "deposit": BOOL, "paymentAmount": MONEY, "memo": STR,
    },
    "other": dict({
        "account": ref("account"), "amount": MONEY,
        "entity": ref("customer"), "paymentMethod": ref("paymentMethod"),
        "refNum": STR, "memo": STR,
    }, **SEGMENTS),
    "cashback": dict({
        "account": ref("account"), "amount": MONEY, "memo": STR,
    }, **SEGMENTS),
    "line": dict({
        "account": ref("account"), "debit": MONEY, "credit": MONEY,
        "entity": ref("customer"), "memo": STR,
    }, **SEGMENTS),
}

TRAN_COMMON = dict({
    "externalId": STR, "subsidiary": ref("subsidiary"),
    "currency": ref("currency"), "exchangeRate": NUM, "tranDate": DATE,
    "tranId": STR, "memo": STR, "postingPeriod": OBJ, "customForm": OBJ,
}, **SEGMENTS)

SALES_COMMON = dict(TRAN_COMMON, **{
    "entity": ref("customer"), "otherRefNum": STR, "terms": ref("term"),
    "dueDate": DATE, "shipMethod": ref("shipItem"), "shippingCost": MONEY,
    "shippingTaxCode": ref("salesTaxItem"), "handlingCost": MONEY,
    "discountItem": ref("discountItem"), "discountRate": NUM,
    "taxDetailsOverride": BOOL, "taxPointDate": DATE, "nexus": OBJ,
    "billingAddress": OBJ, "shippingAddress": OBJ, "email": STR,
    "source": OBJ, "shipDate": DATE, "paymentOption": ref("paymentMethod"),
    "paymentMethod": ref("paymentMethod"), "item": ("sub", "item"),
    "taxDetails": ("sub", "taxDetails"), "account": ref("account"),
})

PAYMENT_COMMON = dict(TRAN_COMMON, **{
    "customer": ref("customer"), "payment": MONEY,
    "account": ref("account"), "undepFunds": TF,
    "arAcct": ref("account"), "paymentOption": ref("paymentMethod"),
    "paymentMethod": ref("paymentMethod"), "checkNumber": STR,
})

SCHEMAS = {
    "customer": {
        "externalId": STR, "entityId": STR, "companyName": STR,
        "isPerson": BOOL, "firstName": STR, "lastName": STR, "email": STR,
        "phone": STR, "subsidiary": ref("subsidiary"),
        "currency": ref("currency"), "terms": ref("term"),
        "addressBook": OBJ, "comments": STR, "isInactive": BOOL,
        "defaultAddress": STR, "category": OBJ, "language": OBJ,
    },
    "salesOrder": dict(SALES_COMMON, orderStatus=("enum", ("A", "B"))),
    "invoice": dict(SALES_COMMON),
    "cashSale": dict(SALES_COMMON, undepFunds=TF),
    "cashRefund": dict(SALES_COMMON, undepFunds=TF),
    "creditMemo": dict(SALES_COMMON, apply=("sub", "apply"),
                       autoApply=BOOL),
    "customerPayment": dict(PAYMENT_COMMON, apply=("sub", "apply"),
                            autoApply=BOOL),
    "customerDeposit": dict(PAYMENT_COMMON, salesOrder=ref("salesOrder")),
    "depositApplication": dict(TRAN_COMMON, **{
        "deposit": ref("customerDeposit"), "customer": ref("customer"),
        "arAcct": ref("account"), "apply": ("sub", "apply"),
    }),
    "customerRefund": dict(TRAN_COMMON, **{
        "customer": ref("customer"), "account": ref("account"),
        "arAcct": ref("account"), "paymentOption": ref("paymentMethod"),
        "paymentMethod": ref("paymentMethod"), "paymentOperation": OBJ,
        "apply": ("sub", "apply"), "deposit": ("sub", "deposit"),
    }),
    "deposit": dict(TRAN_COMMON, **{
        "account": ref("account"), "payment": ("sub", "payment"),
        "other": ("sub", "other"), "cashback": ("sub", "cashback"),
    }),
    "journalEntry": dict(TRAN_COMMON, approved=BOOL, line=("sub", "line")),
    "itemFulfillment": dict(TRAN_COMMON, **{
        "entity": ref("customer"), "shipStatus": ("enum", ("A", "B", "C")),
        "item": ("sub", "item"), "shipMethod": ref("shipItem"),
    }),
}

# Fields a client may send but that the server computes (ignored).
READ_ONLY = {"id", "links", "refName", "subtotal", "taxTotal", "total",
             "amountRemaining", "amountPaid", "applied", "unapplied",
             "status", "createdDate", "lastModifiedDate", "createdFrom",
             "discountTotal", "orderStatusRefName"}
READ_ONLY_LINE = {"quantityBilled", "quantityFulfilled", "links",
                  "taxDetailsReference"}

# Line key per sublist for PATCH/upsert merging; others are appended.
SUBLIST_KEY = {"item": "line", "apply": "doc", "deposit": "doc",
               "payment": "id"}

CUSTOM_PREFIXES = ("custbody", "custcol", "custentity", "custrecord")

STATUS_NAMES = {
    "salesOrder": {"A": "Pending Approval", "B": "Pending Fulfillment",
                   "D": "Partially Fulfilled",
                   "E": "Pending Billing/Partially Fulfilled",
                   "F": "Pending Billing", "G": "Billed", "H": "Closed"},
    "invoice": {"A": "Open", "B": "Paid In Full"},
    "creditMemo": {"A": "Open", "B": "Fully Applied"},
    "customerDeposit": {"A": "Not Deposited", "B": "Deposited",
                        "C": "Fully Applied"},
    "customerPayment": {"A": "Not Deposited", "B": "Deposited"},
    "cashSale": {"A": "Not Deposited", "B": "Deposited"},
    "cashRefund": {"A": "Not Deposited", "B": "Deposited"},
    "customerRefund": {"A": "Not Deposited", "B": "Deposited"},
    "itemFulfillment": {"A": "Picked", "B": "Packed", "C": "Shipped"},
}


def canonical_type(name):
    """Case-insensitive record type lookup; None when unknown."""
    low = name.lower()
    for t in WRITABLE_TYPES + REFERENCE_TYPES:
        if t.lower() == low:
            return t
    return None


def field_index(fields):
    """Lower-case name -> canonical name."""
    return {k.lower(): k for k in fields}
