"""Fundamentals documents in EODHD's shapes: common stocks, ETFs, funds, bonds.

Stocks (and preferred stocks) carry General, Highlights, Valuation, SharesStats,
Technicals, SplitsDividends, AnalystRatings, Holders, InsiderTransactions, ESGScores,
outstandingShares, Earnings and Financials. ETFs carry General, Technicals and ETF_Data;
funds General and MutualFund_Data. Government bonds (GBOND) answer a minimal General
section (the pipeline never asks: bonds load prices only). Collections are objects keyed by
date or "0", "1", ...; an empty one is {}; statement figures are numeric strings;
"0000-00-00" stands for a missing date. Key figures follow the synthetic prices.
"""

from __future__ import annotations

import datetime as dt

from eodhd_fake.market import (
    TYPE_BOND,
    TYPE_ETF,
    TYPE_FUND,
    Instrument,
    Market,
    num,
    stable_int,
    unit,
)

SECTORS = [
    ("Technology", "Software-Infrastructure"),
    ("Healthcare", "Drug Manufacturers-General"),
    ("Financial Services", "Banks-Diversified"),
    ("Consumer Cyclical", "Auto Manufacturers"),
    ("Industrials", "Aerospace & Defense"),
    ("Energy", "Oil & Gas Integrated"),
    ("Consumer Defensive", "Beverages-Non-Alcoholic"),
    ("Utilities", "Utilities-Regulated Electric"),
    ("Basic Materials", "Specialty Chemicals"),
    ("Communication Services", "Telecom Services"),
    ("Real Estate", "REIT-Diversified"),
]
CURRENCY_NAMES = {
    "USD": ("US Dollar", "$"),
    "GBX": ("British Pence", "p"),
    "GBP": ("British Pound", "£"),
    "EUR": ("Euro", "€"),
    "CHF": ("Swiss Franc", "CHF"),
    "JPY": ("Japanese Yen", "¥"),
    "CAD": ("Canadian Dollar", "C$"),
}


def _money(x: float) -> str:
    return f"{x:.2f}"


def _quarter_ends(today: dt.date, count: int) -> list[dt.date]:
    """The last `count` quarter ends reported by `today` (45 days after the quarter)."""
    ends = []
    year, month = today.year, ((today.month - 1) // 3) * 3 + 1
    day = dt.date(year, month, 1) - dt.timedelta(days=1)
    while len(ends) < count:
        if day + dt.timedelta(days=45) <= today:
            ends.append(day)
        day = dt.date(day.year, ((day.month - 1) // 3) * 3 + 1, 1) - dt.timedelta(days=1)
    return ends


def fundamentals(market: Market, inst: Instrument, today: dt.date) -> dict:
    code = inst.code
    cur_name, cur_symbol = CURRENCY_NAMES.get(inst.currency, (inst.currency, inst.currency))
    updated = today.isoformat()
    if inst.type == TYPE_BOND:
        return {
            "General": {
                "Code": inst.symbol,
                "Type": TYPE_BOND,
                "Name": inst.name,
                "Exchange": "GBOND",
                "CurrencyCode": inst.currency,
                "CurrencyName": cur_name,
                "CurrencySymbol": cur_symbol,
                "CountryName": inst.symbol[:2],
                "CountryISO": inst.symbol[:2],
                "ISIN": None,
                "IsDelisted": False,
                "UpdatedAt": updated,
            }
        }

    bars = market.bars(inst, today, today - dt.timedelta(days=400), today)
    last = bars[-1] if bars else None
    price = float(last["close"]) if last else 0.0
    closes = [b["adjusted_close"] for b in bars]
    year_bars = [b for b in bars if b["date"] >= (today - dt.timedelta(days=365)).isoformat()]
    high52 = max((b["high"] for b in year_bars), default=None)
    low52 = min((b["low"] for b in year_bars), default=None)
    ma50 = num(sum(closes[-50:]) / len(closes[-50:]), 4) if closes else None
    ma200 = num(sum(closes[-200:]) / len(closes[-200:]), 4) if closes else None
    beta = num(0.3 + 1.5 * unit("beta", code), 3)
    ipo = market.ipo_date(inst).isoformat()
    general = {
        "Code": inst.symbol,
        "Type": inst.type,
        "Name": inst.name,
        "Exchange": inst.venue,
        "CurrencyCode": inst.currency,
        "CurrencyName": cur_name,
        "CurrencySymbol": cur_symbol,
        "CountryName": inst.exchange.country_name,
        "CountryISO": inst.exchange.country,
        "OpenFigi": f"BBG{stable_int('figi', code) % 10**9:09d}",
        "ISIN": inst.isin,
    }
    technicals = {
        "Beta": beta,
        "52WeekHigh": high52,
        "52WeekLow": low52,
        "50DayMA": ma50,
        "200DayMA": ma200,
        "SharesShort": 0,
        "SharesShortPriorMonth": 0,
        "ShortRatio": 0,
        "ShortPercent": 0,
    }

    if inst.type == TYPE_ETF:
        general.update(
            {
                "Description": f"{inst.name} tracks a broad equity index.",
                "Category": "Large Blend",
                "UpdatedAt": updated,
            }
        )
        holdings = {}
        for i in range(10):
            sym = f"H{stable_int('holding', code, i) % 9999:04d}.US"
            holdings[sym] = {
                "Code": sym.split(".")[0],
                "Exchange": "US",
                "Name": f"Holding {i + 1}",
                "Sector": SECTORS[i % len(SECTORS)][0],
                "Industry": SECTORS[i % len(SECTORS)][1],
                "Country": "United States",
                "Region": "North America",
                "Assets_%": num(10 - i * 0.7, 2),
            }
        return {
            "General": general,
            "Technicals": technicals,
            "ETF_Data": {
                "ISIN": inst.isin,
                "Company_Name": f"{inst.symbol.title()} Asset Management",
                "Company_URL": "https://example.com",
                "ETF_URL": "https://example.com/etf",
                "Domicile": inst.exchange.country_name,
                "Index_Name": "Synthetic Broad Market Index",
                "Yield": _money(3 * unit("etf-yield", code)),
                "Dividend_Paying_Frequency": "Quarterly",
                "Inception_Date": ipo,
                "Max_Annual_Mgmt_Charge": "0.09",
                "Ongoing_Charge": "0.0945",
                "Date_Ongoing_Charge": "2024-12-31",
                "NetExpenseRatio": "0.00090",
                "AnnualHoldingsTurnover": "0.03000",
                "TotalAssets": _money(1e9 * (1 + 400 * unit("etf-aum", code))),
                "Average_Mkt_Cap_Mil": _money(250000 * unit("etf-mcap", code)),
                "Market_Capitalisation": {
                    "Mega": "45.1",
                    "Big": "33.2",
                    "Medium": "17.9",
                    "Small": "3.5",
                    "Micro": "0.3",
                },
                "Asset_Allocation": {
                    "Cash": {"Long_%": "0.4", "Short_%": "0", "Net_Assets_%": "0.4"},
                    "Stock US": {"Long_%": "99.6", "Short_%": "0", "Net_Assets_%": "99.6"},
                },
                "World_Regions": {"North America": {"Equity_%": "99.1", "Relative_to_Category": "97.3"}},
                "Sector_Weights": {
                    s: {"Equity_%": f"{9.0 - i * 0.5:.3f}", "Relative_to_Category": "9.0"}
                    for i, (s, _) in enumerate(SECTORS)
                },
                "Fixed_Income": {},
                "Holdings_Count": 10 + stable_int("etf-n", code) % 490,
                "Top_10_Holdings": holdings,
                "Holdings": holdings,
                "Valuations_Growth": {},
                "MorningStar": {
                    "Ratio": str(1 + stable_int("ms", code) % 5),
                    "Category_Benchmark": "",
                    "Sustainability_Ratio": "3",
                },
                "Performance": {
                    "1y_Volatility": "15.2",
                    "3y_Volatility": "17.8",
                    "Returns_YTD": "12.1",
                    "Returns_1Y": "18.4",
                    "Returns_3Y": "9.2",
                    "Returns_5Y": "13.0",
                    "Returns_10Y": "12.1",
                },
            },
        }

    if inst.type == TYPE_FUND:
        general.update(
            {
                "Fund_Summary": f"{inst.name} invests in global equities.",
                "Fund_Family": "Synthetic Funds",
                "Fund_Category": "Global Large-Cap Blend Equity",
                "Fund_Style": "Large Blend",
                "Fiscal_Year_End": "December",
                "MarketCapitalization": None,
                "UpdatedAt": updated,
            }
        )
        prev = float(bars[-2]["close"]) if len(bars) > 1 else price
        return {
            "General": general,
            "MutualFund_Data": {
                "Fund_Category": "Global Large-Cap Blend Equity",
                "Fund_Style": "Large Blend",
                "Nav": _money(price),
                "Prev_Close_Price": _money(prev),
                "Update_Date": last["date"] if last else "0000-00-00",
                "Portfolio_Net_Assets": _money(1e8 * (1 + 50 * unit("fund-aum", code))),
                "Share_Class_Net_Assets": _money(1e7 * (1 + 50 * unit("fund-cls", code))),
                "Morning_Star_Rating": str(1 + stable_int("ms", code) % 5),
                "Morning_Star_Risk_Rating": str(1 + stable_int("msr", code) % 5),
                "Morning_Star_Category": "Global Large-Cap Blend Equity",
                "Inception_Date": ipo,
                "Currency": inst.currency,
                "Domicile": "Luxembourg",
                "Yield": "0.00",
                "Yield_YTD": "8.12",
                "Yield_1Year_YTD": "11.40",
                "Yield_3Year_YTD": "6.05",
                "Yield_5Year_YTD": "8.77",
                "Expense_Ratio": "1.65",
                "Expense_Ratio_Date": "2024-12-31",
                "Asset_Allocation": {"0": {"Type": "Stock", "Net_%": "97.4"}, "1": {"Type": "Cash", "Net_%": "2.6"}},
                "Value_Growth": {},
                "Top_Holdings": {},
                "Market_Capitalization": {},
                "Top_Countries": {"0": {"Name": "United States", "Assets_%": "61.0"}},
            },
        }

    sector, industry = SECTORS[stable_int("sector", code) % len(SECTORS)]
    shares = int(10 ** (7 + 3 * unit("shares", code)))
    pe = 8 + 40 * unit("pe", code)
    loss = unit("loss", code) < 0.12
    eps = (-price / pe / 3) if loss else price / pe
    divs = market.dividends(inst, today)
    year_divs = [d for d in divs if d["date"] > today - dt.timedelta(days=365)]
    div_share = sum(d["value"] for d in year_divs)
    splits = market.splits(inst, today)
    revenue = shares * price * (0.3 + 2 * unit("ps", code))
    quarters = _quarter_ends(today, 8)
    general.update(
        {
            "LEI": None,
            "PrimaryTicker": code,
            "CUSIP": None,
            "CIK": None,
            "EmployerIdNumber": None,
            "FiscalYearEnd": "December",
            "IPODate": ipo,
            "InternationalDomestic": "Domestic",
            "Sector": sector,
            "Industry": industry,
            "GicSector": sector,
            "GicGroup": industry,
            "GicIndustry": industry,
            "GicSubIndustry": industry,
            "HomeCategory": "Domestic",
            "IsDelisted": False,
            "Description": f"{inst.name} is a synthetic company in {industry.lower()}.",
            "Address": "1 Example Street",
            "AddressData": {
                "Street": "1 Example Street",
                "City": "Example",
                "State": None,
                "Country": inst.exchange.country_name,
                "ZIP": "00000",
            },
            "Listings": {},
            "Officers": {"0": {"Name": "A. Person", "Title": "Chief Executive Officer", "YearBorn": "1970"}},
            "Phone": None,
            "WebURL": "https://example.com",
            "LogoURL": "",
            "FullTimeEmployees": 100 + stable_int("staff", code) % 200000,
            "UpdatedAt": updated,
        }
    )
    mcap = shares * price
    book = price / (0.8 + 6 * unit("pb", code))
    return {
        "General": general,
        "Highlights": {
            "MarketCapitalization": num(mcap, 0),
            "MarketCapitalizationMln": num(mcap / 1e6, 4),
            "EBITDA": num(revenue * 0.2, 0),
            "PERatio": None if loss else num(pe, 4),
            "PEGRatio": None if loss else num(pe / 15, 4),
            "WallStreetTargetPrice": num(price * 1.1, 2),
            "BookValue": num(book, 3),
            "DividendShare": num(div_share, 4),
            "DividendYield": num(div_share / price, 4) if price and div_share else 0,
            "EarningsShare": num(eps, 2),
            "EPSEstimateCurrentYear": num(eps * 1.05, 2),
            "EPSEstimateNextYear": num(eps * 1.1, 2),
            "EPSEstimateNextQuarter": num(eps / 4, 2),
            "EPSEstimateCurrentQuarter": num(eps / 4, 2),
            "MostRecentQuarter": quarters[0].isoformat(),
            "ProfitMargin": num(eps * shares / revenue, 4),
            "OperatingMarginTTM": num(0.05 + 0.3 * unit("om", code), 4),
            "ReturnOnAssetsTTM": num(0.02 + 0.1 * unit("roa", code), 4),
            "ReturnOnEquityTTM": num(0.05 + 0.3 * unit("roe", code), 4),
            "RevenueTTM": num(revenue, 0),
            "RevenuePerShareTTM": num(revenue / shares, 3),
            "QuarterlyRevenueGrowthYOY": num(0.2 * unit("rg", code) - 0.05, 3),
            "GrossProfitTTM": num(revenue * 0.4, 0),
            "DilutedEpsTTM": num(eps, 2),
            "QuarterlyEarningsGrowthYOY": num(0.4 * unit("eg", code) - 0.1, 3),
        },
        "Valuation": {
            "TrailingPE": None if loss else num(pe, 4),
            "ForwardPE": None if loss else num(pe / 1.1, 4),
            "PriceSalesTTM": num(mcap / revenue, 4),
            "PriceBookMRQ": num(price / book, 4),
            "EnterpriseValue": num(mcap * 1.1, 0),
            "EnterpriseValueRevenue": num(mcap * 1.1 / revenue, 4),
            "EnterpriseValueEbitda": num(mcap * 1.1 / (revenue * 0.2), 4),
        },
        "SharesStats": {
            "SharesOutstanding": shares,
            "SharesFloat": int(shares * 0.9),
            "PercentInsiders": num(10 * unit("ins", code), 3),
            "PercentInstitutions": num(40 + 50 * unit("inst", code), 3),
            "SharesShort": None,
            "SharesShortPriorMonth": None,
            "ShortRatio": None,
            "ShortPercentOutstanding": None,
            "ShortPercentFloat": num(0.05 * unit("short", code), 4),
        },
        "Technicals": technicals,
        "SplitsDividends": {
            "ForwardAnnualDividendRate": num(div_share, 4),
            "ForwardAnnualDividendYield": num(div_share / price, 4) if price and div_share else 0,
            "PayoutRatio": num(div_share / eps, 4) if eps > 0 and div_share else 0,
            "DividendDate": year_divs[-1]["paymentDate"].isoformat() if year_divs else "0000-00-00",
            "ExDividendDate": year_divs[-1]["date"].isoformat() if year_divs else "0000-00-00",
            "LastSplitFactor": f"{num(splits[-1][1])}:{num(splits[-1][2])}" if splits else "",
            "LastSplitDate": splits[-1][0].isoformat() if splits else "0000-00-00",
            "NumberDividendsByYear": {
                str(i): {"Year": y, "Count": n} for i, (y, n) in enumerate(sorted(_count_by_year(divs).items()))
            },
        },
        "AnalystRatings": {
            "Rating": num(1 + 4 * unit("rating", code), 4),
            "TargetPrice": num(price * 1.12, 2),
            "StrongBuy": stable_int("sb", code) % 20,
            "Buy": stable_int("b", code) % 10,
            "Hold": stable_int("h", code) % 15,
            "Sell": stable_int("s", code) % 3,
            "StrongSell": 0,
        },
        "Holders": {
            "Institutions": {
                "0": {
                    "name": "Example Capital",
                    "date": quarters[0].isoformat(),
                    "totalShares": num(7.5, 2),
                    "totalAssets": num(0.9, 2),
                    "currentShares": int(shares * 0.075),
                    "change": 0,
                    "change_p": 0,
                }
            },
            "Funds": {},
        },
        "InsiderTransactions": {},
        "ESGScores": {},
        "outstandingShares": {
            "annual": {
                str(i): {
                    "date": str(q.year),
                    "dateFormatted": q.isoformat(),
                    "sharesMln": f"{shares / 1e6:.4f}",
                    "shares": shares,
                }
                for i, q in enumerate(q for q in quarters if q.month == 12)
            },
            "quarterly": {
                str(i): {
                    "date": f"{q.year}-Q{(q.month - 1) // 3 + 1}",
                    "dateFormatted": q.isoformat(),
                    "sharesMln": f"{shares / 1e6:.4f}",
                    "shares": shares,
                }
                for i, q in enumerate(quarters)
            },
        },
        "Earnings": {
            "History": {
                q.isoformat(): {
                    "reportDate": (q + dt.timedelta(days=30)).isoformat(),
                    "date": q.isoformat(),
                    "beforeAfterMarket": "AfterMarket",
                    "currency": inst.currency,
                    "epsActual": num(eps / 4, 4),
                    "epsEstimate": num(eps / 4 * 0.98, 4),
                    "epsDifference": num(eps / 4 * 0.02, 4),
                    "surprisePercent": 2.0408,
                }
                for q in quarters
            },
            "Trend": {},
            "Annual": {
                q.isoformat(): {"date": q.isoformat(), "epsActual": num(eps, 4)} for q in quarters if q.month == 12
            },
        },
        "Financials": {
            name: {
                "currency_symbol": inst.currency,
                "quarterly": {
                    q.isoformat(): _statement(name, q, revenue / 4, shares, book, inst.currency) for q in quarters
                },
                "yearly": {
                    q.isoformat(): _statement(name, q, revenue, shares, book, inst.currency)
                    for q in quarters
                    if q.month == 12
                },
            }
            for name in ("Balance_Sheet", "Cash_Flow", "Income_Statement")
        },
    }


def _count_by_year(divs: list[dict]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for d in divs:
        counts[d["date"].year] = counts.get(d["date"].year, 0) + 1
    return counts


def _statement(name: str, q: dt.date, revenue: float, shares: int, book: float, currency: str) -> dict:
    head = {"date": q.isoformat(), "filing_date": (q + dt.timedelta(days=35)).isoformat(), "currency_symbol": currency}
    if name == "Balance_Sheet":
        equity = book * shares
        return {
            **head,
            "totalAssets": _money(equity * 2.5),
            "totalLiab": _money(equity * 1.5),
            "totalStockholderEquity": _money(equity),
            "cash": _money(equity * 0.2),
            "commonStockSharesOutstanding": _money(shares),
            "goodWill": None,
            "intangibleAssets": None,
            "netDebt": _money(equity * 0.3),
        }
    if name == "Cash_Flow":
        return {
            **head,
            "totalCashFromOperatingActivities": _money(revenue * 0.25),
            "capitalExpenditures": _money(-revenue * 0.05),
            "freeCashFlow": _money(revenue * 0.2),
            "dividendsPaid": _money(-revenue * 0.03),
            "changeInCash": _money(revenue * 0.01),
        }
    return {
        **head,
        "totalRevenue": _money(revenue),
        "costOfRevenue": _money(revenue * 0.6),
        "grossProfit": _money(revenue * 0.4),
        "operatingIncome": _money(revenue * 0.15),
        "netIncome": _money(revenue * 0.1),
        "ebitda": _money(revenue * 0.2),
        "researchDevelopment": None,
    }
