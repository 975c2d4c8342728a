# The profanity strategy: word lists generated from data/wordlists at build
# time (naughty-words from npm, filed by category and severity in the project's
# data/wordlists/<lang>.txt, plus the project's own entries) and utf8proc.
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
find_program(PARLEY_NODE node REQUIRED)

set(PARLEY_WORDLISTS_DIR ${PROJECT_SOURCE_DIR}/data/wordlists)
if(NOT EXISTS ${PARLEY_WORDLISTS_DIR}/node_modules/naughty-words/package.json)
  # scripts/deps.sh normally did this already
  find_program(PARLEY_NPM npm REQUIRED)
  message(STATUS "profanity: npm ci in data/wordlists")
  execute_process(COMMAND ${PARLEY_NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${PARLEY_WORDLISTS_DIR} RESULT_VARIABLE parley_npm_result)
  if(NOT parley_npm_result EQUAL 0)
    message(FATAL_ERROR "profanity: npm ci failed in ${PARLEY_WORDLISTS_DIR}")
  endif()
endif()

set(PARLEY_PROFANITY_LANGS en es fr de pt it)
set(PARLEY_PROFANITY_INPUTS ${PARLEY_WORDLISTS_DIR}/generate.js
    ${PARLEY_WORDLISTS_DIR}/allowlist.txt ${PARLEY_WORDLISTS_DIR}/package-lock.json)
foreach(lang ${PARLEY_PROFANITY_LANGS})
  list(APPEND PARLEY_PROFANITY_INPUTS
       ${PARLEY_WORDLISTS_DIR}/node_modules/naughty-words/${lang}.json
       ${PARLEY_WORDLISTS_DIR}/${lang}.txt)
endforeach()

set(PARLEY_PROFANITY_WORDS_C ${PROJECT_BINARY_DIR}/generated/profanity_words.c)
add_custom_command(
  OUTPUT ${PARLEY_PROFANITY_WORDS_C}
  COMMAND ${PARLEY_NODE} ${PARLEY_WORDLISTS_DIR}/generate.js ${PARLEY_PROFANITY_WORDS_C}
  DEPENDS ${PARLEY_PROFANITY_INPUTS}
  COMMENT "Generating profanity word lists"
  VERBATIM)
target_sources(parley_core PRIVATE ${PARLEY_PROFANITY_WORDS_C})
target_link_libraries(parley_core PUBLIC PkgConfig::UTF8PROC)
