# Writes a C++ source that holds every file of TEMPLATE_DIR as a raw string, so the
# built-in templates travel inside the binary.
file(GLOB files RELATIVE ${TEMPLATE_DIR} ${TEMPLATE_DIR}/*)
list(SORT files)
set(body "")
foreach(name IN LISTS files)
  file(READ ${TEMPLATE_DIR}/${name} content)
  string(APPEND body "    {\"${name}\", R\"datamig_template(${content})datamig_template\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from templates/ by cmake/embed_templates.cmake. Do not edit.\n#include \"datamig/templates.hpp\"\n\nnamespace datamig {\n\nconst std::vector<std::pair<std::string_view, std::string_view>>& builtin_templates() {\n  static const std::vector<std::pair<std::string_view, std::string_view>> templates = {\n${body}  };\n  return templates;\n}\n\n}  // namespace datamig\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
