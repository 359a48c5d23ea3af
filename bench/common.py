"""What make_input.py and make_series.py share: the synthetic 2 m temperature
field and the NetCDF-4 layout it is written in.

The field looks like a 2 m temperature so compression ratios are realistic:
a latitude gradient, a seasonal/diurnal swing, travelling planetary waves,
land-sea-like static structure and small-scale noise, at full float32
precision (no rounding, which would flatter the compressor). Every step
differs from every other, so a step written to the wrong place or lost cannot
go unnoticed. Steps are made one at a time, so memory stays at a few fields.
"""

from __future__ import annotations

import numpy as np

DEFLATE_LEVEL = 4


class Field:
    """The field on a regular global grid of nlat x nlon, for one seed."""

    def __init__(self, nlat: int, nlon: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.lat = np.linspace(90.0, -90.0, nlat)
        self.lon = np.arange(nlon) * (360.0 / nlon)
        self.phi = np.deg2rad(self.lat)[:, None]
        self.lam = np.deg2rad(self.lon)[None, :]
        phi, lam = self.phi, self.lam
        # Static part: equator-to-pole gradient plus "orography/continents" made
        # of a few smooth bumps, so neighbouring values correlate as in real fields.
        base = 258.0 + 42.0 * np.cos(phi) ** 2
        for _ in range(24):
            c_phi, c_lam = rng.uniform(-1.2, 1.2), rng.uniform(0, 2 * np.pi)
            width, amp = rng.uniform(0.05, 0.4), rng.uniform(-8.0, 8.0)
            d2 = (phi - c_phi) ** 2 + (np.angle(np.exp(1j * (lam - c_lam))) * np.cos(phi)) ** 2
            base = base + amp * np.exp(-d2 / (2 * width**2))
        self.base = base
        # A pool of noise fields reused with a shift: fresh normals for every
        # step of a multi-GB input would dominate generation time and add nothing.
        self.noise_pool = rng.normal(0.0, 0.35, size=(8, nlat, nlon)).astype(np.float32)

    def step(self, i: int, hours: float) -> np.ndarray:
        """Step number i (which noise field, how far shifted), `hours` after the start."""
        phi, lam = self.phi, self.lam
        diurnal = 6.0 * np.cos(lam - 2 * np.pi * (hours % 24) / 24.0) * np.cos(phi)
        season = -12.0 * np.sin(phi) * np.cos(2 * np.pi * hours / (24 * 365.25))
        waves = (
            5.0 * np.sin(4 * lam - 0.021 * hours) * np.sin(2 * phi) ** 2
            + 3.0 * np.sin(7 * lam + 0.013 * hours) * np.cos(3 * phi)
        )
        noise = np.roll(self.noise_pool[i % len(self.noise_pool)], i * 7, axis=1)
        return (self.base + diurnal + season + waves).astype(np.float32) + noise


def create_t2m(nc, field: Field, time_units: str, title: str, source: str):
    """Define time/lat/lon and t2m(time, lat, lon) in the open netCDF4.Dataset nc
    (deflate 4 + byte shuffle, chunks one step: model output written step by
    step), write lat and lon; returns the time and t2m variables to fill."""
    nlat, nlon = len(field.lat), len(field.lon)
    nc.createDimension("time", None)
    nc.createDimension("lat", nlat)
    nc.createDimension("lon", nlon)
    t = nc.createVariable("time", "f8", ("time",))
    t.units = time_units
    t.calendar = "standard"
    t.standard_name = "time"
    t.long_name = "time"
    t.axis = "T"
    la = nc.createVariable("lat", "f8", ("lat",))
    la.units = "degrees_north"
    la.standard_name = "latitude"
    la.long_name = "latitude"
    la.axis = "Y"
    lo = nc.createVariable("lon", "f8", ("lon",))
    lo.units = "degrees_east"
    lo.standard_name = "longitude"
    lo.long_name = "longitude"
    lo.axis = "X"
    v = nc.createVariable(
        "t2m",
        "f4",
        ("time", "lat", "lon"),
        zlib=True,
        complevel=DEFLATE_LEVEL,
        shuffle=True,
        chunksizes=(1, nlat, nlon),
    )
    v.units = "K"
    v.standard_name = "air_temperature"
    v.long_name = "2 metre temperature"
    nc.Conventions = "CF-1.8"
    nc.title = title
    nc.source = source
    la[:] = field.lat
    lo[:] = field.lon
    return t, v
