#pragma once
// Finding a migration by its version, in anything that holds migrations or their history rows:
// the version is the key of both the tree and the history table (SPEC §5).
#include <algorithm>
#include <iterator>
#include <string_view>

namespace datamig {

// The element of `items` whose `version` is `version`, or nullptr.
template <typename Items>
auto find_version(const Items& items, std::string_view version) -> decltype(&*std::begin(items)) {
    const auto found =
        std::find_if(std::begin(items), std::end(items), [&](const auto& item) { return item.version == version; });
    return found == std::end(items) ? nullptr : &*found;
}

}  // namespace datamig
