// The shared vocabulary (roles, limits, instants, …) is part of this module's API: its users need not import it.
@_exported import CogramCore
