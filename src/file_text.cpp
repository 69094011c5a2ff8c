#include "datamig/file_text.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

// Length of the well-formed UTF-8 sequence at `pos`, or 0. The allowed range of the second
// byte is what excludes overlong forms, UTF-16 surrogates and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;
        if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        return 0;
    }
    if (pos + length > text.size()) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        const unsigned char min = i == 1 ? second_min : 0x80;
        const unsigned char max = i == 1 ? second_max : 0xBF;
        if (byte < min || byte > max) return 0;
    }
    return length;
}

}  // namespace

std::string normalize_text(std::string_view raw) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (raw.substr(0, bom.size()) == bom) raw.remove_prefix(bom.size());
    std::string text;
    text.reserve(raw.size());
    std::size_t pos = 0;
    for (std::size_t crlf = raw.find("\r\n"); crlf != std::string_view::npos; crlf = raw.find("\r\n", pos)) {
        text.append(raw.substr(pos, crlf - pos));
        pos = crlf + 1;  // resumes at the '\n', leaving out the '\r'
    }
    text.append(raw.substr(pos));
    return text;
}

std::string sha256_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw Error(Exit::failed, "cannot compute a SHA-256 checksum (OpenSSL failed)");
    }
    static constexpr std::string_view hex_digits = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * std::size_t{length});
    for (std::size_t i = 0; i < length; ++i) {
        const unsigned char byte = digest[i];
        hex += hex_digits[static_cast<std::size_t>(byte >> 4)];
        hex += hex_digits[static_cast<std::size_t>(byte & 0x0F)];
    }
    return hex;
}

bool is_valid_utf8(std::string_view text, int& line) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        // ASCII, nearly all of SQL, is checked eight bytes at a time.
        std::uint64_t block = 0;
        if (text.size() - pos >= sizeof block) {
            std::memcpy(&block, text.data() + pos, sizeof block);
            if ((block & 0x8080808080808080U) == 0) {
                pos += sizeof block;
                continue;
            }
        }
        const std::size_t length = utf8_sequence_length(text, pos);
        if (length == 0) {
            line = line_at(text, pos);
            return false;
        }
        pos += length;
    }
    return true;
}

}  // namespace datamig
