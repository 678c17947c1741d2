"""Vehicles: staged rockets and the bodies they deliver, as frozen specs.

A ``Rocket`` is a stack of ``Stage`` s burning one after another (no coast between stages)
and a ``ReentryVehicle`` (the payload) that flies on after the last stage burns out or is
cut off. Thrust follows from the rocket equation's mass flow and the vacuum specific
impulse; the sea-level correction subtracts ambient pressure times a nozzle exit area
derived from the sea-level Isp (Sutton & Biblarz, *Rocket Propulsion Elements*, 9th ed.,
eq. 3-21: F = mdot * Isp_vac * g0 - p_a * A_e). Drag in boost uses the largest stage
diameter and a drag coefficient against Mach number; the payload flies with its ballistic
coefficient beta = m / (C_D A).

Guidance is vertical rise, a pitch-over to a kick angle at the launch azimuth, then a
gravity turn. The vertical rise lasts ``vertical_rise_s`` or, for a vehicle of low lift-off
thrust-to-weight, until it climbs at ``RISE_SPEED_M_S`` (``Rocket.rise_s``): a gravity turn
begun slower than that falls over into the ground. A lift-off thrust-to-weight of 1 or
less cannot leave the pad and is refused, naming ``stages.0.burn_time_s`` (thrust is mass
flow times Isp, so the burn time is what sets it). Then the gravity turn (thrust along the air-relative velocity); the targeting solver
(``targeting.py``) picks the kick angle, azimuth and, short of maximum range, the
thrust-termination time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .errors import ScenarioError
from .validate import positive as _positive

G0 = 9.80665  # standard gravity, m/s^2 (used in the Isp definition)
P0 = 101325.0  # sea-level pressure, Pa (US76)

# The vertical rise lasts at least until the vehicle climbs at this speed (drag-free vertical
# ascent on the first stage's sea-level thrust). Notional [N]: below the 36 m/s the slowest
# catalog missile (iran-icbm, lift-off T/W 1.33) and the 79 m/s the slowest catalog
# interceptor reach in their own rise, so it lengthens no catalog flight; it only keeps a
# low thrust-to-weight vehicle (a long-burning Scud-class stage) from pitching over at a few
# m/s and falling back a kilometre from the pad.
RISE_SPEED_M_S = 30.0

#: The trajectory families a rocket can be aimed on (``targeting.aim``; a scenario threat's
#: ``trajectory``).
TRAJECTORIES = ("minimum-energy", "lofted", "depressed", "max-range-kick")

# Drag coefficient of a slender ballistic missile against Mach number (zero lift). Shape of
# the V-2 / Scud class curve in Fleeman, *Tactical Missile Design*, 2nd ed. (2006), fig. 2.11,
# and Wright & Kadyshev (1994) fig. 3: subsonic ~0.2, transonic peak ~0.45, falling to ~0.2
# at high Mach. Labelled notional: no open source gives the curve of any specific threat.
DEFAULT_CD_MACH = ((0.0, 0.20), (0.8, 0.22), (1.0, 0.40), (1.2, 0.45), (1.5, 0.40), (2.0, 0.34),
                   (3.0, 0.28), (5.0, 0.22), (10.0, 0.20))


@dataclass(frozen=True)
class Stage:
    """One rocket stage: its own gross (loaded) and propellant mass, engine and size."""

    gross_mass_kg: float
    propellant_mass_kg: float
    isp_vac_s: float
    burn_time_s: float
    diameter_m: float
    isp_sl_s: float | None = None  # sea-level Isp; None = no back-pressure loss (upper stages)

    def __post_init__(self):
        _positive("gross_mass_kg", self.gross_mass_kg)
        _positive("propellant_mass_kg", self.propellant_mass_kg)
        _positive("isp_vac_s", self.isp_vac_s)
        _positive("burn_time_s", self.burn_time_s)
        _positive("diameter_m", self.diameter_m)
        if self.propellant_mass_kg >= self.gross_mass_kg:
            raise ScenarioError(
                "propellant_mass_kg",
                f"propellant ({self.propellant_mass_kg} kg) must be lighter than the stage's gross mass "
                f"({self.gross_mass_kg} kg)",
            )
        if self.isp_sl_s is not None:
            _positive("isp_sl_s", self.isp_sl_s)
            if self.isp_sl_s > self.isp_vac_s:
                raise ScenarioError("isp_sl_s", "sea-level Isp cannot exceed vacuum Isp")

    @property
    def inert_mass_kg(self) -> float:
        return self.gross_mass_kg - self.propellant_mass_kg

    @property
    def mass_flow_kg_s(self) -> float:
        return self.propellant_mass_kg / self.burn_time_s

    @property
    def thrust_vac_n(self) -> float:
        return self.mass_flow_kg_s * self.isp_vac_s * G0

    @property
    def thrust_sl_n(self) -> float:
        """Thrust at sea level (vacuum thrust less sea-level pressure times the exit area)."""
        return self.thrust_vac_n - P0 * self.exit_area_m2

    @property
    def exit_area_m2(self) -> float:
        """Nozzle exit area implied by the sea-level Isp (0 if none given)."""
        if self.isp_sl_s is None:
            return 0.0
        return (self.isp_vac_s - self.isp_sl_s) * G0 * self.mass_flow_kg_s / P0


@dataclass(frozen=True)
class ReentryVehicle:
    """The payload: mass, ballistic coefficient beta = m / (C_D A), radar cross-section."""

    mass_kg: float
    beta_kg_m2: float = math.inf  # inf = no drag (vacuum)
    rcs_m2: float = 0.01

    def __post_init__(self):
        _positive("mass_kg", self.mass_kg)
        if not (self.beta_kg_m2 > 0):
            raise ScenarioError("beta_kg_m2", f"must be positive, got {self.beta_kg_m2}")
        _positive("rcs_m2", self.rcs_m2)


@dataclass(frozen=True)
class Rocket:
    """A staged rocket with its payload and the fixed part of its guidance."""

    name: str
    stages: tuple[Stage, ...]
    payload: ReentryVehicle
    vertical_rise_s: float = 10.0
    pitch_over_s: float = 10.0
    cd_mach: tuple[tuple[float, float], ...] = field(default=DEFAULT_CD_MACH)

    def __post_init__(self):
        if not self.stages:
            raise ScenarioError("stages", "a rocket needs at least one stage")
        if len(self.stages) > MAX_STAGES:
            raise ScenarioError("stages", f"at most {MAX_STAGES} stages are supported")
        _positive("vertical_rise_s", self.vertical_rise_s)
        _positive("pitch_over_s", self.pitch_over_s)
        tw = self.liftoff_thrust_to_weight
        if not tw > 1.0:
            raise ScenarioError("stages.0.burn_time_s",
                                f"lift-off thrust-to-weight is {tw:.2f} (sea-level thrust {self.stages[0].thrust_sl_n / 1e3:,.0f} kN "
                                f"for {self.liftoff_mass_kg:,.0f} kg); it must exceed 1 to leave the pad: shorten the burn "
                                f"time (more thrust) or lighten the missile")
        if self.rise_s + self.pitch_over_s >= self.burn_time_s:
            if self.rise_s > self.vertical_rise_s:
                raise ScenarioError("stages.0.burn_time_s",
                                    f"lift-off thrust-to-weight {tw:.2f} is too low: the vertical rise to "
                                    f"{RISE_SPEED_M_S:.0f} m/s and the pitch-over do not end before burnout")
            raise ScenarioError("vertical_rise_s", "vertical rise and pitch-over must end before burnout")

    @property
    def liftoff_thrust_to_weight(self) -> float:
        """First-stage sea-level thrust over lift-off weight (standard gravity)."""
        return self.stages[0].thrust_sl_n / (self.liftoff_mass_kg * G0)

    @cached_property
    def rise_s(self) -> float:
        """Vertical rise flown: ``vertical_rise_s``, lengthened to the time the drag-free vertical
        ascent on the first stage's sea-level thrust reaches ``RISE_SPEED_M_S`` where that is later
        (low thrust-to-weight). v(t) = c ln(m0 / (m0 - mdot t)) - g0 t, c = F_sl / mdot, is
        increasing for lift-off T/W > 1; bisection to 1 ms (past the first stage: its burnout)."""
        s = self.stages[0]
        m0, mdot = self.liftoff_mass_kg, s.mass_flow_kg_s
        c = s.thrust_sl_n / mdot

        def speed(t: float) -> float:
            return c * math.log(m0 / (m0 - mdot * t)) - G0 * t

        if self.liftoff_thrust_to_weight <= 1.0 or speed(self.vertical_rise_s) >= RISE_SPEED_M_S:
            return self.vertical_rise_s
        if speed(s.burn_time_s) < RISE_SPEED_M_S:
            return s.burn_time_s
        lo, hi = self.vertical_rise_s, s.burn_time_s
        while hi - lo > 1e-3:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if speed(mid) < RISE_SPEED_M_S else (lo, mid)
        return hi

    @property
    def liftoff_mass_kg(self) -> float:
        return sum(s.gross_mass_kg for s in self.stages) + self.payload.mass_kg

    @property
    def burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)

    @property
    def reference_area_m2(self) -> float:
        d = max(s.diameter_m for s in self.stages)
        return math.pi * d * d / 4.0

    def ideal_delta_v_m_s(self) -> float:
        """Tsiolkovsky ideal delta-v of the stack (vacuum Isp), m/s."""
        m = self.liftoff_mass_kg
        dv = 0.0
        for s in self.stages:
            dv += s.isp_vac_s * G0 * math.log(m / (m - s.propellant_mass_kg))
            m -= s.gross_mass_kg
        return dv

    def with_payload(self, payload: ReentryVehicle) -> "Rocket":
        return replace(self, payload=payload)


MAX_STAGES = 4
# Columns of the per-stage table the integrator reads.
ST_T0, ST_T1, ST_M0, ST_MDOT, ST_FVAC, ST_AEXIT = range(6)
N_STAGE_COLS = 6
MACH_GRID = np.array([m for m, _ in DEFAULT_CD_MACH])


def stage_table(rocket: Rocket) -> np.ndarray:
    """(MAX_STAGES, 6) table: ignition time, burnout time, mass at ignition, mass flow,
    vacuum thrust, exit area. Unused rows have zero burn time."""
    tab = np.zeros((MAX_STAGES, N_STAGE_COLS))
    t = 0.0
    m = rocket.liftoff_mass_kg
    for i, s in enumerate(rocket.stages):
        tab[i] = (t, t + s.burn_time_s, m, s.mass_flow_kg_s, s.thrust_vac_n, s.exit_area_m2)
        t += s.burn_time_s
        m -= s.gross_mass_kg
    for i in range(len(rocket.stages), MAX_STAGES):
        tab[i, ST_T0] = tab[i, ST_T1] = t
    return tab


def cd_values(rocket: Rocket) -> np.ndarray:
    """Drag coefficient of the rocket at the Mach numbers of MACH_GRID."""
    m = np.array([a for a, _ in rocket.cd_mach])
    c = np.array([b for _, b in rocket.cd_mach])
    return np.interp(MACH_GRID, m, c)
