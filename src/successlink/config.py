"""Settings: built once at start-up from the workspace's successlink.toml and SUCCESSLINK_*
environment variables, then passed down explicitly (nothing reads globals).

Precedence, highest first: environment, successlink.toml, defaults. `SUCCESSLINK_WAREHOUSE`
is any Ibis connection URL; by default the warehouse is a DuckDB file in the workspace.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError, field_validator

from successlink.errors import ConfigError

CONFIG_FILE = "successlink.toml"
DEFAULT_IDENTITY_RULES = (
    "account_id", "stripe_customer", "stripe_invoice", "stripe_charge", "segment_group",
    "zendesk_org", "hubspot_company", "segment_user", "email", "domain",
)
_KNOWN_KINDS = frozenset(DEFAULT_IDENTITY_RULES)


class WarehouseSettings(BaseModel):
    """Where the analytical tables live."""

    url: str | None = Field(None, description="Ibis URL; default duckdb:///<workspace>/warehouse.duckdb")


class IngestSettings(BaseModel):
    """How source files are read."""

    affiliate_metadata_key: str = Field("affiliate", description="Stripe customer metadata key "
                                        "holding the referring affiliate id.")
    account_metadata_keys: list[str] = Field(
        default_factory=lambda: ["account_id", "successlink_account_id"],
        description="Metadata / property keys that name the account explicitly.")
    chunk_rows: int = Field(50_000, ge=1_000, description="Rows buffered before a staging flush.")
    posthog_group_type: str = Field("company", description="PostHog group type of accounts.")


class IdentitySettings(BaseModel):
    """Which keys resolve a record to an account, in priority order."""

    rules: list[str] = Field(default_factory=lambda: list(DEFAULT_IDENTITY_RULES))

    @field_validator("rules")
    @classmethod
    def _known(cls, rules: list[str]) -> list[str]:
        unknown = [r for r in rules if r not in _KNOWN_KINDS]
        if unknown:
            raise ValueError(f"unknown identity rule(s) {unknown}; known: {sorted(_KNOWN_KINDS)}")
        return rules


class SurveySettings(BaseModel):
    """How survey CSVs map to responses."""

    kind: str | None = Field(None, description="nps or csat; inferred when unset.")
    columns: dict[str, str] = Field(default_factory=dict,
                                    description="canonical field -> CSV header")


class CrmSettings(BaseModel):
    """CRM value mappings."""

    role_map: dict[str, str] = Field(default_factory=dict,
                                     description="raw buying role (lower case) -> role")


class MetricsSettings(BaseModel):
    """How customer metrics are measured (see docs/metrics/)."""

    currency: str = Field("USD", description="Reporting currency of every money metric.")
    fx_rates: dict[str, float] = Field(
        default_factory=lambda: {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73,
                                 "AUD": 0.66, "CHF": 1.13},
        description="Units of the reporting currency per one unit of each currency (fixed "
                    "rates; set your own). Amounts in a currency without a rate are left out "
                    "of money metrics and counted in the score run's warnings.")
    gross_margin: float = Field(0.8, gt=0, le=1, description="Gross margin for margin LTV.")
    key_features: list[str] = Field(
        default_factory=lambda: ["Integration Connected", "Workflow Automated", "Invite Sent",
                                 "Alert Configured", "API Key Created"],
        description="Usage events whose adoption is measured per account.")
    usage_window_days: int = Field(30, ge=1, description="Recent usage window (vs the one before).")
    support_window_days: int = Field(90, ge=1, description="Window for ticket counts.")
    cost_drivers: dict[str, str] = Field(
        default_factory=lambda: {"support": "tickets", "onboarding": "new_accounts",
                                 "*": "even"},
        description="Pooled cost type -> driver spreading it over active accounts: even, "
                    "tickets, seats, mrr or new_accounts ('*' for every other type).")
    max_lifetime_months: float = Field(120, gt=0, description="Cap on expected lifetime in LTV.")


class ScorecardSettings(BaseModel):
    """How affiliates and channels are judged (see docs/metrics/scorecard.md)."""

    horizon_days: int = Field(365, ge=30, description="Horizon of RMST and the retention figure.")
    assumed_commission_rate: float = Field(
        0.2, ge=0, le=1, description="Share of a referred account's net revenue in its first "
        "`commission_months` assumed paid as commission while no ledger exists yet.")
    commission_months: int = Field(12, ge=1, description="Months of revenue commissionable.")
    quality_weights: dict[str, float] = Field(
        default_factory=lambda: {"retention": 0.30, "value": 0.25, "health": 0.15,
                                 "nps": 0.10, "expansion": 0.10, "support": 0.10},
        description="Weights of the quality components (normalised).")
    tiers: dict[str, float] = Field(
        default_factory=lambda: {"platinum": 70.0, "gold": 55.0, "silver": 35.0, "bronze": 0.0},
        description="Suggested tier by the lower end of the quality score's 90% interval.")
    min_accounts_for_tier: int = Field(5, ge=1, description="Fewer referred accounts: 'new'.")
    early_refund_days: int = Field(60, ge=1, description="Churn with a refund or dispute within "
                                   "this many days of starting counts as an early refund.")
    review_early_refund_share: float = Field(0.3, ge=0, le=1, description="Early-refund share "
                                             "that suggests a fraud review instead of a tier.")


class HealthSettings(BaseModel):
    """Which health score config to use."""

    config: str | None = Field(None, description="Health config TOML, relative to the "
                               "workspace; default: the shipped profile (docs/metrics/health.md).")


DEFAULT_ADVOCACY_WEIGHTS = {"health": 25.0, "nps": 20.0, "usage_level": 10.0, "usage_trend": 10.0,
                   "tenure": 10.0, "expansion": 10.0, "support": 5.0, "ltv": 10.0}


class AdvocateSettings(BaseModel):
    """Who may be asked to become an affiliate, and how candidates are ranked."""

    min_tenure_days: float = Field(
        default=90, ge=0, description="Newer customers are not asked yet: their enthusiasm "
        "is the sales promise, not the product.")
    excluded_bands: list[str] = Field(default_factory=lambda: ["red"],
                                      description="Health bands never asked (at risk).")
    max_open_urgent_tickets: int = Field(
        default=0, ge=0, description="More open urgent tickets excludes the account.")
    max_escalations_90d: int = Field(
        default=0, ge=0, description="More escalations in 90 days excludes the account.")
    exclude_detractors: bool = Field(
        default=True, description="Exclude accounts whose latest NPS answer is 0-6.")
    exclude_affiliates: bool = Field(
        default=True, description="Leave out accounts that already are affiliates "
        "(affiliates.account_id).")
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ADVOCACY_WEIGHTS),
        description="Weight of each signal's points (normalised): health, nps, usage_level, "
                    "usage_trend, tenure, expansion, support, ltv.")
    missing_nps_points: float = Field(
        default=30, ge=0, le=100, description="Points for no NPS answer: below a passive, "
        "since advocacy wants evidence.")
    full_active_days: float = Field(
        default=20, gt=0, description="Active days in 30 worth full usage points.")
    full_tenure_days: float = Field(default=730, gt=0,
                                    description="Tenure worth full points.")
    tickets_to_zero: float = Field(
        default=5, gt=0, description="Tickets in 90 days that take the support points to 0.")
    contacts_per_account: int = Field(default=4, ge=1,
                                      description="People listed per advocate.")
    cohort_share: float = Field(
        default=0.1, gt=0, le=0.5, description="Share of paying accounts in the top (and "
        "bottom) quality cohort.")

    @field_validator("weights")
    @classmethod
    def _known_signals(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(DEFAULT_ADVOCACY_WEIGHTS))
        if unknown:
            known = sorted(DEFAULT_ADVOCACY_WEIGHTS)
            raise ValueError(f"unknown signal(s) {unknown}; known: {known}")
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise ValueError("weights must be >= 0 with at least one above 0")
        return weights


class AppStoreSettings(BaseModel):
    """Where the program's system of record lives (affiliates, clicks, ledger, payouts)."""

    url: str | None = Field(None, description="SQLAlchemy URL; default "
                            "sqlite:///<workspace>/app.db (WAL). PostgreSQL: "
                            "postgresql://user@host/db.")


class ServiceSettings(BaseModel):
    """How `successlink serve` runs (see docs/program.md, "Serving")."""

    click_writer: Literal["process", "thread"] = Field(
        "process", description="Who commits clicks: a writer process of their own (faster "
        "under load: it does not compete with requests for Python's interpreter lock) or "
        "the service's group-commit thread.")


class ProgramSettings(BaseModel):
    """How the affiliate program runs (see docs/program.md)."""

    plans_dir: str = Field("plans", description="Folder of commission plan TOML files, "
                           "relative to the workspace.")
    default_plan: str | None = Field(None, description="Plan id for affiliates without one.")
    stripe_webhook_secrets: list[str] = Field(
        default_factory=list, description="Stripe endpoint signing secrets (whsec_...); more "
        "than one while rotating. Set them in the environment, not in the file.")
    webhook_tolerance_seconds: int = Field(300, ge=0, description="Oldest signature "
                                           "timestamp accepted (0: no limit; Stripe: 300).")
    fallback_url: str | None = Field(None, description="Where an unknown or disabled link "
                                     "sends visitors (your home page); needed by `serve`.")
    allowed_domains: list[str] = Field(default_factory=list, description="Domains (and their "
                                       "subdomains) a link may redirect to; default: the "
                                       "fallback URL's domain.")
    cookie_days: int = Field(30, ge=1, description="Life of the click cookie (the "
                             "attribution window).")
    min_payout: str = Field("50.00", description="Smallest payout, in major units of each "
                            "payout's currency; smaller balances wait for the next run.")
    settle_delay_minutes: int = Field(60, ge=0, description="The ledger is settled this long "
                                      "after the events it records, so webhooks delivered out "
                                      "of order are all in first.")
    webhook_inbox: bool = Field(True, description="`serve` acknowledges a Stripe delivery once "
                                "it is stored in the webhook inbox and processes it in a "
                                "separate process (false: processed before the answer).")


class ChurnSettings(BaseModel):
    """How the churn-risk model is trained, backtested and used (docs/models/churn.md)."""

    horizon_days: int = Field(90, ge=7, description="Predict churn within this many days.")
    lead_days: int = Field(
        0, ge=0, description="Days between the day features are read and the start of the "
        "label window (time to act); accounts gone within the lead are left out.")
    origin_step_days: int = Field(30, ge=7, description="Days between training origins.")
    backtest_origins: int = Field(4, ge=1, description="Newest origins the rolling backtest "
                                  "evaluates, each with a model trained only on its past.")
    max_train_origins: int = Field(12, ge=2, description="Newest origins a model trains on.")
    min_train_origins: int = Field(3, ge=2, description="Fewer origins with a closed label "
                                   "window: no model (score falls back to the health score).")
    min_history_days: int = Field(180, ge=0, description="No origin earlier than this many "
                                  "days after the first subscription started.")
    min_positives: int = Field(30, ge=1, description="Churners needed in the training and in "
                               "the calibration origins.")
    calibration: Literal["platt", "isotonic"] = Field(
        "platt", description="Map from booster score to probability, fitted on the newest "
        "training origin: platt (keeps the ranking) or isotonic (more flexible, needs more "
        "rows).")
    seed: int = Field(7, description="Seed of every random choice in training.")
    threads: int = Field(2, ge=1, description="Threads for training and scoring data of "
                         "100,000 rows or more (smaller data uses one); the same data and "
                         "settings give the same model.")
    bands: dict[str, float] = Field(
        default_factory=lambda: {"high": 0.3, "medium": 0.1},
        description="Risk band -> lowest churn probability in it (else low).")
    drivers_per_account: int = Field(3, ge=0, le=10,
                                     description="Top drivers described per account.")
    drivers_for_bands: list[str] = Field(
        default_factory=lambda: ["high", "medium"],
        description="Risk bands whose accounts get drivers in words (others: none, which "
                    "keeps scoring a million accounts within seconds).")

    @field_validator("bands")
    @classmethod
    def _probabilities(cls, bands: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in bands.items() if not 0 < v <= 1}
        if bad:
            raise ValueError(f"band thresholds must be probabilities in (0, 1]: {bad}")
        if "low" in bands:
            raise ValueError("'low' is the band below every threshold; do not give it one")
        return bands


class Settings(BaseModel):
    """Everything configurable, for one workspace."""

    workspace: Path
    warehouse: WarehouseSettings = Field(default_factory=lambda: WarehouseSettings(url=None))
    ingest: IngestSettings = Field(default_factory=IngestSettings)  # type: ignore[arg-type]
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    surveys: SurveySettings = Field(default_factory=lambda: SurveySettings(kind=None))
    crm: CrmSettings = Field(default_factory=CrmSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)  # type: ignore[arg-type]
    scorecard: ScorecardSettings = Field(default_factory=ScorecardSettings)  # type: ignore[arg-type]
    health: HealthSettings = Field(default_factory=lambda: HealthSettings(config=None))
    advocates: AdvocateSettings = Field(default_factory=AdvocateSettings)
    app_store: AppStoreSettings = Field(default_factory=lambda: AppStoreSettings(url=None))
    program: ProgramSettings = Field(default_factory=ProgramSettings)  # type: ignore[arg-type]
    service: ServiceSettings = Field(default_factory=ServiceSettings)  # type: ignore[arg-type]
    churn: ChurnSettings = Field(default_factory=ChurnSettings)  # type: ignore[arg-type]

    @property
    def warehouse_url(self) -> str:
        if self.warehouse.url:
            return self.warehouse.url
        return f"duckdb://{(self.workspace / 'warehouse.duckdb').resolve()}"

    @property
    def app_store_url(self) -> str:
        if self.app_store.url:
            return self.app_store.url
        return f"sqlite:///{(self.workspace / 'app.db').resolve()}"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """SUCCESSLINK_WAREHOUSE, SUCCESSLINK_APP_STORE and SUCCESSLINK_<SECTION>__<KEY>
    variables, as nested dicts."""
    out: dict[str, Any] = {}
    if environ.get("SUCCESSLINK_WAREHOUSE"):
        out["warehouse"] = {"url": environ["SUCCESSLINK_WAREHOUSE"]}
    if environ.get("SUCCESSLINK_APP_STORE"):
        out["app_store"] = {"url": environ["SUCCESSLINK_APP_STORE"]}
    for name, value in environ.items():
        if not name.startswith("SUCCESSLINK_") or "__" not in name:
            continue
        section, _, key = name.removeprefix("SUCCESSLINK_").lower().partition("__")
        parsed: Any = value
        if value.startswith(("[", "{")):
            try:
                parsed = tomllib.loads(f"v = {value}")["v"]
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{name} is not a valid TOML list or table: {exc}") from exc
        out.setdefault(section, {})[key] = parsed
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(workspace: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings for `workspace` (default: $SUCCESSLINK_WORKSPACE or the current folder)."""
    env = dict(os.environ if environ is None else environ)
    root = Path(workspace or env.get("SUCCESSLINK_WORKSPACE") or Path.cwd())
    data: dict[str, Any] = {}
    config_path = root / CONFIG_FILE
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the settings: {exc}", where=str(config_path),
                              hint="Fix the TOML, or run `successlink init --force`.") from exc
    data = _merge(data, _env_overrides(env))
    data["workspace"] = root
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']}", where=str(config_path),
                          hint="See docs/configuration.md for every option.") from exc


def default_config_toml() -> str:
    """The commented starting config `successlink init` writes."""
    body = Settings(workspace=Path()).model_dump(mode="json", exclude={"workspace"},
                                                    exclude_none=True)
    header = (
        "# SuccessLink workspace settings. Every option is documented in docs/configuration.md.\n"
        "# Environment variables override this file: SUCCESSLINK_WAREHOUSE=<ibis url>,\n"
        "# SUCCESSLINK_<SECTION>__<KEY>=value (e.g. SUCCESSLINK_INGEST__CHUNK_ROWS=100000).\n"
        "# [warehouse] url defaults to a DuckDB file in this folder (warehouse.duckdb);\n"
        "# [app_store] url (SUCCESSLINK_APP_STORE) to a SQLite file, app.db (WAL).\n\n"
    )
    return header + tomli_w.dumps(body)
