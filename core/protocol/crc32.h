// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>

namespace ExitScope {

// CRC-32 as in zlib/IEEE 802.3 (reflected, polynomial 0xEDB88320), the one the stream uses.
// Slice-by-4 so that checking a 40-byte record stays well below the cost of decoding it.
class Crc32
{
public:
    static std::uint32_t compute(const unsigned char *data, std::size_t size, std::uint32_t crc = 0);
};

} // namespace ExitScope
