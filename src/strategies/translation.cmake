# The translation strategy: language detection with libexttextcat and the
# LibreTranslate backend over libcurl. Apertium itself is run as processes
# (/usr/share/apertium/modes), not linked.
pkg_check_modules(EXTTEXTCAT REQUIRED IMPORTED_TARGET libexttextcat)
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)
# I/O: built into parley_strategies_io, never into parley_core.
target_link_libraries(parley_strategies_io PUBLIC PkgConfig::EXTTEXTCAT PkgConfig::LIBCURL)
