// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/crc32.h"

#include <array>

namespace ExitScope {

namespace {
struct Tables
{
    std::array<std::array<std::uint32_t, 256>, 4> t{};
    constexpr Tables()
    {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (int s = 1; s < 4; ++s)
                t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
};
constexpr Tables tables;
} // namespace

std::uint32_t Crc32::compute(const unsigned char *data, std::size_t size, std::uint32_t crc)
{
    const auto &t = tables.t;
    crc = ~crc;
    while (size >= 4) {
        crc ^= std::uint32_t(data[0]) | std::uint32_t(data[1]) << 8 | std::uint32_t(data[2]) << 16
            | std::uint32_t(data[3]) << 24;
        crc = t[3][crc & 0xFF] ^ t[2][(crc >> 8) & 0xFF] ^ t[1][(crc >> 16) & 0xFF] ^ t[0][crc >> 24];
        data += 4;
        size -= 4;
    }
    while (size--)
        crc = t[0][(crc ^ *data++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

} // namespace ExitScope
