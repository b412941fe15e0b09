# Installs this build into a fresh prefix, builds tests/install/consumer
# against it alone, and runs it against a real leadrouterd from that prefix.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P consumer_test.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f include/client/client.h include/leadrouter/v1/lead.pb.h
          lib/cmake/leadrouter/leadrouterConfig.cmake bin/leadrouterd
          bin/leadctl share/leadrouter/proto/leadrouter/v1/lead.proto)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/install/consumer"
    -B "${WORK_DIR}/build" -G Ninja -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")

# The installed leadrouterd on the example config, on a free port.
file(WRITE "${WORK_DIR}/serve.sh" "
  '${prefix}/bin/leadrouterd' --config='${SOURCE_DIR}/deploy/config/example.yaml' \\
    --data_dir='${WORK_DIR}/data' --listen=127.0.0.1:0 --metrics_listen= \\
    2> '${WORK_DIR}/leadrouterd.log' &
  pid=$!
  for i in $(seq 100); do
    addr=$(grep -o '\"address\":\"[^\"]*\"' '${WORK_DIR}/leadrouterd.log' | head -1 | cut -d'\"' -f4)
    [ -n \"$addr\" ] && break
    sleep 0.1
  done
  '${WORK_DIR}/build/app' \"$addr\"; rc=$?
  kill -TERM $pid; wait $pid
  exit $rc
")
run(sh "${WORK_DIR}/serve.sh")
if(NOT last_output MATCHES "^routed consumer-1 cfg-")
  message(FATAL_ERROR "unexpected output: ${last_output}")
endif()
message(STATUS "${last_output}")
