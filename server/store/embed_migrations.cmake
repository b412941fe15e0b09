# Writes the PostgreSQL migrations into a C++ include, so leadrouterd carries
# its schema with it. Run by the build: cmake -DOUT=... -DFILES=a.sql|b.sql -P
file(WRITE "${OUT}.tmp" "// Generated from server/store/migrations/ by embed_migrations.cmake.\n")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(path IN LISTS FILES)
  get_filename_component(name "${path}" NAME)
  string(REGEX MATCH "^[0-9]+" number "${name}")
  math(EXPR version "${number}")
  file(READ "${path}" sql)
  file(APPEND "${OUT}.tmp" "{${version}, \"${name}\", R\"lrsql(${sql})lrsql\"},\n")
endforeach()
file(RENAME "${OUT}.tmp" "${OUT}")
