// Carrier of the shared precompiled header (gateway/net/pch.hpp).
