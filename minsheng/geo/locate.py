"""Which area a row without a person belongs to, from what the row itself says: its grid
code, else the community its address names, else the district its address begins with.

Used for the rows an import cannot attach to anyone (sources' unresolved records), so each
is kept where the community's staff can verify it. Set-based: one Polars join over the
distinct addresses against the community names, no loop over rows.
"""

from __future__ import annotations

import polars as pl

from .models import Area

__all__ = ["area_codes"]


def area_codes(rows: pl.DataFrame) -> pl.Series:
    """For `rows` (address, district_code, grid_code; any may be null or absent) the code
    of the most precise known area each names (a community, else a district), or null."""

    def col(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String) if name in rows.columns else pl.lit(None, pl.String)

    df = rows.select(
        address=col("address"), district=col("district_code"), grid=col("grid_code")
    ).with_row_index("i")
    areas = pl.DataFrame(
        list(
            Area.objects.filter(level__in=("district", "community")).values_list(
                "code", "name", "level", "district_code"
            )
        ),
        schema={"code": pl.String, "name": pl.String, "level": pl.String, "d": pl.String},
        orient="row",
    )
    communities = areas.filter(pl.col("level") == "community")
    districts = areas.filter(pl.col("level") == "district")
    known = set(areas["code"].to_list())
    # an address names its community by name; a name that two districts share counts only
    # where the address's district is that community's
    addresses = df.select("address", "district").unique().drop_nulls("address")
    named = (
        addresses.join(communities.select("code", "name", "d"), how="cross")
        .filter(
            pl.col("address").str.contains(pl.col("name"), literal=True)
            & (pl.col("district").is_null() | (pl.col("district") == pl.col("d")))
        )
        .group_by("address", "district")
        .agg(pl.col("code").unique())
        .filter(pl.col("code").list.len() == 1)
        .select("address", "district", community=pl.col("code").list.first())
    )
    out = df.join(named, on=["address", "district"], how="left", nulls_equal=True).sort("i")
    grid_community = pl.col("grid").str.slice(0, 12)
    return out.select(
        pl.coalesce(
            pl.when(grid_community.is_in(list(known))).then(grid_community),
            "community",
            pl.when(pl.col("district").is_in(districts["code"].implode())).then("district"),
        ).alias("area_code")
    ).to_series()
