"""Stores, tax rates, products, shipping methods and discounts of the
scenario generator (invented but shaped like a real commercetools project).
"""

import uuid

NS = uuid.UUID("5d1f4b9e-7c2a-4e83-9a61-0b8c3d7e2f14")


def stable_id(name):
    """A UUID that depends only on name (same in every scenario)."""
    return str(uuid.uuid5(NS, name))


def _rate(name, amount, gross, country, key, subs=(), state=None):
    r = {"name": name, "amount": amount, "includedInPrice": gross,
         "country": country, "id": key.upper().replace("-", "")[:8],
         "key": key, "subRates": [{"name": n, "amount": a} for n, a in subs]}
    if state:
        r["state"] = state
    return r


US_ZONES = [
    (_rate("US-PA Allegheny County", 0.07, False, "US", "us-pa-allegheny",
           [("PA State", 0.06), ("Allegheny County", 0.01)], "PA"),
     {"city": "Pittsburgh", "postalCode": "15232", "state": "PA",
      "streetName": "Walnut Street"}),
    (_rate("US-NY New York City", 0.08875, False, "US", "us-ny-nyc",
           [("NY State", 0.04), ("New York City", 0.045), ("MCTD", 0.00375)],
           "NY"),
     {"city": "New York", "postalCode": "10013", "state": "NY",
      "streetName": "Hudson Street"}),
    (_rate("US-WA Seattle", 0.1035, False, "US", "us-wa-seattle",
           [("WA State", 0.065), ("Seattle RTA", 0.0385)], "WA"),
     {"city": "Seattle", "postalCode": "98103", "state": "WA",
      "streetName": "Fremont Avenue N"}),
    (_rate("US-OR No Sales Tax", 0.0, False, "US", "us-or-none", (), "OR"),
     {"city": "Portland", "postalCode": "97209", "state": "OR",
      "streetName": "NW Glisan Street"}),
]

STORES = {
    "us-web": {
        "currency": "USD", "country": "US", "locale": "en-US",
        "gross": False, "tax_rounding": "HalfEven",
        "merchant": "ExampleShopUS", "tz": ("EDT", -4),
        "psp": [("adyen", 50), ("stripe", 50)],
        "cards": ["visa", "mc", "amex"],
        "rates": None,  # by shipping state, see US_ZONES
        "gift_rate": _rate("Gift card (not taxable)", 0.0, False, "US",
                           "us-gift-card"),
        "products": [
            ("STV-TRH-01", "Trailhead Camp Stove", 7900, "standard"),
            ("BTL-INS-750-GRN", "Insulated Bottle 750 ml", 1450,
             "standard"),
            ("TNT-2P-ULT", "Ultralight 2P Tent", 32900, "standard"),
            ("HDL-300-RED", "Headlamp 300 lm", 3499, "standard"),
            ("SCK-MRN-M", "Merino Hiking Socks", 1899, "standard"),
            ("JKT-RAIN-M", "Packable Rain Jacket", 12999, "standard"),
            ("PAN-TI-1L", "Titanium Pot 1 L", 4995, "standard"),
            ("CHR-FLD-01", "Folding Camp Chair", 5999, "standard"),
        ],
        "shipping": [("UPS Ground", 1200, 15000), ("UPS 2nd Day Air", 2495,
                                                   None)],
        "gift_shipping": None,
        "gift_cards": [2500, 5000, 10000],
        "total_discount": (1500, 20000),
        "multi_shipping": 0.0,
        "names": [("Maya", "Okafor"), ("Daniel", "Brooks"),
                  ("Priya", "Raman"), ("Lucas", "Meyer"),
                  ("Aisha", "Carter"), ("Tom", "Nguyen")],
        "domain": "example.com",
    },
    "de-web": {
        "currency": "EUR", "country": "DE", "locale": "de-DE",
        "gross": True, "tax_rounding": "HalfEven",
        "merchant": "ExampleShopECOM", "tz": ("CEST", 2),
        "psp": [("adyen", 70), ("stripe", 30)],
        "cards": ["visa", "mc", "sepadirectdebit"],
        "rates": {
            "standard": _rate("DE Standard 19%", 0.19, True, "DE",
                              "de-standard"),
            "reduced": _rate("DE Reduced 7%", 0.07, True, "DE",
                             "de-reduced"),
        },
        "gift_rate": _rate("Gift card (not taxable)", 0.0, True, "DE",
                           "de-gift-card"),
        "products": [
            ("SHO-TRL-42", "Trailrunning-Schuh", 8990, "standard"),
            ("BK-ALP-01", "Alpenvereinsführer", 2400, "reduced"),
            ("RCK-30L", "Rucksack 30 L", 11995, "standard"),
            ("KAF-BIO-500", "Bio-Kaffee 500 g", 1299, "reduced"),
            ("FLS-JKT-M", "Fleecejacke", 7995, "standard"),
            ("MUS-RGL-12", "Müsliriegel 12er", 899, "reduced"),
            ("STK-CRB", "Carbon-Wanderstöcke", 13900, "standard"),
            ("KRT-TOPO", "Topografische Karte", 1490, "reduced"),
        ],
        "shipping": [("DHL Paket Standard", 495, 5000),
                     ("DHL Express", 1290, None)],
        "gift_shipping": ("DHL Paket Geschenkversand", 695),
        "gift_cards": [2500, 5000],
        "total_discount": (1000, 15000),
        "multi_shipping": 0.05,
        "names": [("Lena", "Hoffmann"), ("Jonas", "Becker"),
                  ("Mia", "Schäfer"), ("Felix", "Wagner"),
                  ("Emma", "Krüger"), ("Paul", "Zimmermann")],
        "cities": [("Berlin", "10961", "Gneisenaustraße"),
                   ("München", "80331", "Sendlinger Straße"),
                   ("Hamburg", "20095", "Mönckebergstraße")],
        "domain": "example.de",
    },
    "jp-web": {
        "currency": "JPY", "country": "JP", "locale": "ja-JP",
        "gross": True, "tax_rounding": "HalfUp",
        "merchant": "ExampleShopJP", "tz": ("JST", 9),
        "psp": [("adyen", 80), ("stripe", 20)],
        "cards": ["jcb", "visa", "mc"],
        "rates": {
            "standard": _rate("JP Standard 10%", 0.1, True, "JP",
                              "jp-standard"),
            "reduced": _rate("JP Reduced 8%", 0.08, True, "JP",
                             "jp-reduced"),
        },
        "gift_rate": _rate("Gift card (not taxable)", 0.0, True, "JP",
                           "jp-gift-card"),
        "products": [
            ("TEA-SEN-GIFT", "Sencha gift set", 3240, "reduced"),
            ("MUG-ARITA", "Arita porcelain mug", 2750, "standard"),
            ("TEA-MAT-100", "Matcha 100 g", 2160, "reduced"),
            ("FRK-KTN", "Furoshiki cotton", 1980, "standard"),
            ("KNF-SEKI", "Seki kitchen knife", 14300, "standard"),
            ("SNK-SNB", "Senbei assortment", 1296, "reduced"),
            ("BWL-HAS", "Hasami bowl", 1650, "standard"),
        ],
        "shipping": [("Yamato Takkyubin", 770, 11000),
                     ("Yamato Time Service", 1320, None)],
        "gift_shipping": ("Yamato Takkyubin + gift wrap", 880),
        "gift_cards": [5000, 10000],
        "total_discount": (1000, 15000),
        "multi_shipping": 0.25,
        "names": [("Haruto", "Sato"), ("Yui", "Nakamura"),
                  ("Sota", "Suzuki"), ("Aoi", "Takahashi"),
                  ("Ren", "Watanabe"), ("Hina", "Ito")],
        "cities": [("Shibuya-ku", "150-0001", "Jingumae 4-12-10"),
                   ("Chuo-ku", "542-0086", "Nishi-Shinsaibashi 2-3-5"),
                   ("Naka-ku", "231-0023", "Yamashitacho 1-1")],
        "domain": "example.jp",
    },
    "bh-web": {
        "currency": "BHD", "country": "BH", "locale": "en-BH",
        "gross": True, "tax_rounding": "HalfEven",
        "merchant": "ExampleShopBH", "tz": ("AST", 3),
        "psp": [("adyen", 60), ("stripe", 40)],
        "cards": ["visa", "mc"],
        "rates": {
            "standard": _rate("BH VAT 10%", 0.1, True, "BH", "bh-standard"),
            "reduced": _rate("BH Zero-rated 0%", 0.0, True, "BH",
                             "bh-zero"),
        },
        "gift_rate": _rate("Gift card (not taxable)", 0.0, True, "BH",
                           "bh-gift-card"),
        "products": [
            ("DTS-GFT-1K", "Dates gift box 1 kg", 8500, "reduced"),
            ("OUD-50", "Oud perfume 50 ml", 37750, "standard"),
            ("LNT-BRS", "Brass lantern", 12125, "standard"),
            ("CFE-ARB-250", "Arabic coffee 250 g", 3375, "reduced"),
            ("TWL-CTN", "Cotton beach towel", 6990, "standard"),
        ],
        "shipping": [("Aramex Standard", 2500, 30000),
                     ("Aramex Express", 4750, None)],
        "gift_shipping": ("Aramex gift delivery", 3500),
        "gift_cards": [10000, 25000],
        "total_discount": (5000, 60000),
        "multi_shipping": 0.1,
        "names": [("Fatima", "Al-Khalifa"), ("Ahmed", "Yusuf"),
                  ("Noor", "Haddad"), ("Omar", "Saleh")],
        "cities": [("Manama", "317", "Road 3803, Block 338"),
                   ("Muharraq", "207", "Road 1012, Block 210")],
        "domain": "example.bh",
    },
}

#: Stores a scenario uses unless told otherwise, with their shares.
DEFAULT_STORES = [("us-web", 45), ("de-web", 35), ("jp-web", 20)]
#: Weights when other stores are chosen explicitly.
STORE_WEIGHTS = dict(DEFAULT_STORES, **{"bh-web": 10})

#: Cart discounts: code (or None for automatic), kind, value, sortOrder.
CART_DISCOUNTS = {
    "SUMMER10": ("relative", "0.10", "0.9"),
    "LOYAL5": ("relative", "0.05", "0.5"),
}
SALE_FRACTION = "0.20"  # product discount "SALE20"

PAYMENT_METHOD_NAMES = {"visa": "Visa", "mc": "Mastercard",
                        "amex": "American Express", "jcb": "JCB",
                        "sepadirectdebit": "SEPA Direct Debit", "card": "Card",
                        "giftcard": "Gift card"}


def ref(type_id, name):
    return {"typeId": type_id, "id": stable_id(type_id + ":" + name)}
