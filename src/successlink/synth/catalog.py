"""What the synthetic SaaS sells and who buys it: plans, prices, features, names, places.

Fixed tables, not random draws, so a world is described by its seed alone. Every value that
ends up inside a JSON string is plain ASCII without quotes or backslashes: the usage renderer
splices these strings into JSON lines without escaping them.
"""

from __future__ import annotations

import numpy as np

GENERATOR_VERSION = "1"
MONTH_SECONDS = 30.4375 * 86400  # an average month, for rates per month
TRIAL_DAYS = 14

# Acquisition channels, their share of new accounts and their quality offset (the affiliate
# channel uses each affiliate's own latent quality instead of an offset).
CHANNELS = ("organic_search", "paid", "partner", "affiliate", "direct")
CHANNEL_SHARES = np.array([0.22, 0.16, 0.09, 0.35, 0.18])
CHANNEL_QUALITY = np.array([0.25, -0.35, 0.35, 0.0, 0.1])
AFFILIATE_CHANNEL = CHANNELS.index("affiliate")
CAMPAIGNS = (
    ("seo-blog", "pillar-pages", "docs-search"),
    ("google-brand", "google-generic", "linkedin-abm", "capterra-ppc"),
    ("partner-directory", "agency-program", "marketplace-listing"),
    ("affiliate-program",),
    ("",),
)

# Plans: per-seat monthly price in minor units (the same number in USD and EUR); annual
# billing costs ten months. Better accounts buy larger plans.
TIERS = ("starter", "growth", "scale", "enterprise")
TIER_NAMES = ("Starter", "Growth", "Scale", "Enterprise")
SEAT_PRICE_MONTHLY = np.array([1500, 3500, 6500, 12000], dtype=np.int64)
ANNUAL_MONTHS_BILLED = 10
TIER_LOGITS = np.array([1.0, 0.55, -0.35, -1.6])
TIER_QUALITY_SLOPE = np.array([-0.5, 0.0, 0.45, 0.9])
TIER_MEDIAN_SEATS = np.array([2.0, 6.0, 18.0, 55.0])
TIER_HAZARD = np.array([1.3, 1.0, 0.8, 0.6])
ONBOARDING_COST_MINOR = np.array([4000, 15000, 45000, 150000], dtype=np.int64)
MAX_SEATS = 999
CORE_PRODUCT = ("prod_SynthCore0001", "SuccessLink Core")
ADDON_PRODUCT = ("prod_SynthInsight01", "Insights add-on")
ADDON_PRICE_MONTHLY = 4900
CURRENCIES = ("usd", "eur")


def price_id(tier: int, annual: bool, eur: bool) -> str:
    """The Stripe price id of a core plan."""
    return f"price_{TIERS[tier]}_{'year' if annual else 'month'}_{CURRENCIES[int(eur)]}"


def addon_price_id(annual: bool, eur: bool) -> str:
    """The Stripe price id of the add-on."""
    return f"price_insights_{'year' if annual else 'month'}_{CURRENCIES[int(eur)]}"


def unit_amount(tier: int, annual: bool) -> int:
    """Price per seat per billing interval, in minor units."""
    monthly = int(SEAT_PRICE_MONTHLY[tier])
    return monthly * ANNUAL_MONTHS_BILLED if annual else monthly


def addon_amount(annual: bool) -> int:
    """Price of the add-on per billing interval, in minor units."""
    return ADDON_PRICE_MONTHLY * ANNUAL_MONTHS_BILLED if annual else ADDON_PRICE_MONTHLY


# Cancellation feedback codes (Stripe's `cancellation_details.feedback` values).
CANCEL_REASONS = ("too_expensive", "missing_features", "switched_service", "unused",
                  "customer_service", "low_quality", "other")
CANCEL_BASE = np.array([0.22, 0.18, 0.17, 0.15, 0.08, 0.10, 0.10])
# How each reason's weight moves with health (low health: unused, low quality, service).
CANCEL_HEALTH_SLOPE = np.array([0.0, 0.2, 0.3, -0.8, -0.5, -0.6, 0.0])

# Product usage: tracked features (name, integer property, slope of adoption on health) and
# pages (name, path). Healthier accounts use the advanced features far more.
FEATURES = (
    ("Report Exported", "rows", 0.3), ("Dashboard Created", "widgets", 0.4),
    ("Integration Connected", "integrations", 1.0), ("Invite Sent", "invitees", 0.8),
    ("Alert Configured", "conditions", 0.7), ("Filter Saved", "clauses", 0.2),
    ("Comment Added", "characters", 0.1), ("File Uploaded", "kilobytes", 0.2),
    ("Workflow Automated", "steps", 1.2), ("API Key Created", "scopes", 0.9),
    ("Segment Created", "rules", 0.6), ("Data Source Synced", "records", 0.5),
)
FEATURE_BASE = np.array([10, 4, 1, 2, 2, 6, 8, 5, 1, 0.5, 2, 6], dtype=np.float64)
PAGES = (("Dashboard", "/dashboard"), ("Reports", "/reports"), ("Settings", "/settings"),
         ("Billing", "/settings/billing"), ("Getting Started", "/docs/start"))
PAGE_BASE = np.array([9, 6, 2, 0.6, 1.5], dtype=np.float64)
PAGE_HEALTH_SLOPE = np.array([0.2, 0.2, 0.0, -0.5, -0.6])
APP_URL = "https://app.successlink.example"

INDUSTRIES = ("Computer Software", "Information Technology and Services", "Marketing and "
              "Advertising", "Financial Services", "Hospital & Health Care", "Retail",
              "Education Management", "Logistics and Supply Chain", "Real Estate",
              "Consumer Goods", "Telecommunications", "Staffing and Recruiting")
# (HubSpot country label, ISO alpha-2, weight, bills in EUR)
COUNTRIES = (
    ("United States", "US", 0.50, False), ("Canada", "CA", 0.07, False),
    ("United Kingdom", "GB", 0.12, False), ("Australia", "AU", 0.05, False),
    ("India", "IN", 0.04, False), ("Brazil", "BR", 0.03, False),
    ("Singapore", "SG", 0.02, False), ("Germany", "DE", 0.05, True),
    ("France", "FR", 0.03, True), ("Netherlands", "NL", 0.02, True),
    ("Spain", "ES", 0.01, True), ("Ireland", "IE", 0.01, True),
    ("Israel", "IL", 0.02, False), ("Sweden", "SE", 0.02, False),
)
COUNTRY_WEIGHTS = np.array([c[2] for c in COUNTRIES]) / sum(c[2] for c in COUNTRIES)
COUNTRY_EUR = np.array([c[3] for c in COUNTRIES])

NAME_STEMS = ("bright", "blue", "north", "swift", "iron", "silver", "green", "true", "clear",
              "stone", "river", "cloud", "peak", "nova", "lumen", "apex", "cedar", "delta",
              "ember", "falcon", "harbor", "juniper", "kite", "maple", "orbit", "pine",
              "quartz", "summit", "tidal", "vertex", "willow", "zenith")
NAME_ENDS = ("forge", "works", "labs", "ly", "stack", "point", "wave", "path", "shift",
             "loop", "grid", "base", "mint", "field", "scale", "bridge")
NAME_SUFFIXES = ("", " Inc", " Ltd", " GmbH", " Analytics", " Software", " Group",
                 " Health", " Logistics", " Media", " Systems", " Co")
TLDS = ("com", "io", "co", "net", "ai", "app")
FREEMAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
    "Mark", "Ashley", "Steven", "Emily", "Paul", "Michelle", "Andrew", "Amanda", "Joshua",
    "Melissa", "Kevin", "Stephanie", "Brian", "Rebecca", "George", "Laura", "Timothy", "Amy",
    "Priya", "Arjun", "Wei", "Mei", "Lukas", "Sofia", "Mateo", "Lea", "Noah", "Emma", "Omar",
    "Fatima", "Hiroshi", "Yuki", "Ines", "Pierre", "Anna", "Jonas", "Nora", "Diego",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
    "Patel", "Shah", "Chen", "Wang", "Mueller", "Schmidt", "Dubois", "Rossi", "Silva",
    "Santos", "Kim", "Park", "Nguyen", "Tanaka", "Cohen", "Larsen", "Novak", "Ortiz",
    "Murphy", "Kelly",
)

# Buying roles (HubSpot internal values) by person position, and titles per main role.
ROLE_CHOICES = ("DECISION_MAKER", "CHAMPION", "INFLUENCER", "BUDGET_HOLDER", "END_USER",
                "EXECUTIVE_SPONSOR", "CHAMPION;END_USER", "INFLUENCER;END_USER", "")
ROLE_WEIGHTS_FIRST = np.array([0.45, 0.25, 0.05, 0.1, 0.0, 0.08, 0.05, 0.0, 0.02])
ROLE_WEIGHTS_OTHER = np.array([0.06, 0.14, 0.2, 0.06, 0.3, 0.02, 0.08, 0.06, 0.08])
JOB_TITLES = {
    "DECISION_MAKER": ("VP Operations", "Head of Customer Success", "Chief Operating Officer"),
    "CHAMPION": ("Operations Manager", "Customer Success Lead", "Analytics Manager"),
    "INFLUENCER": ("Senior Analyst", "Solutions Architect", "Product Manager"),
    "BUDGET_HOLDER": ("Finance Director", "Chief Financial Officer", "Controller"),
    "END_USER": ("Analyst", "Support Specialist", "Account Executive"),
    "EXECUTIVE_SPONSOR": ("Chief Executive Officer", "Chief Revenue Officer", "Founder"),
    "": ("Consultant", "Associate", "Coordinator"),
}

TICKET_SUBJECTS = (
    "Cannot export report to CSV", "SSO login loops", "Dashboard loads slowly",
    "Question about invoice", "How do I invite my team?", "Integration sync failed",
    "Feature request: custom fields", "Billing address change", "API rate limit errors",
    "Data looks wrong after import", "Password reset not received", "Alert fired twice",
    "Need help setting up workflows", "Cancel or downgrade my plan", "Refund request",
)
TICKET_CHANNELS = ("email", "web", "chat", "api", "voice")
TICKET_CHANNEL_WEIGHTS = np.array([0.45, 0.3, 0.18, 0.03, 0.04])
PRIORITIES = ("low", "normal", "high", "urgent")
GOOD_COMMENTS = ("", "", "Quick and helpful, thanks!", "Solved my problem fast.",
                 "Great support as always")
BAD_COMMENTS = ("", "Took far too long.", "Still not fixed.", "Nobody read my question.")
NPS_COMMENTS = {
    "promoter": ("", "Love the exports, just works", "Our team lives in the dashboards",
                 "Best tool we have bought this year"),
    "passive": ("", "Good but a bit pricey", "Does the job", "Reports could be faster"),
    "detractor": ("", "Too slow", "Missing the integrations we need", "Support never answers",
                  "We barely use it"),
}
CSAT_COMMENTS = ("", "", "Thanks", "Helpful", "Could be quicker")
