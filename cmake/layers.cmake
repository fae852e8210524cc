# layers.cmake - the dependency graph of haishin's libraries, enforced.
#
# Each folder is one library; a library may link only the haishin libraries
# listed for it here, all of them below it.  hs_check_layers() runs after
# every folder is added and fails the configure on any other link: upward,
# sideways (manifest/ and pkg/ are siblings and know nothing of each
# other), or into the daemon from a client.  A new library adds a line.
set(HS_LAYERS
  "haishin_common:"
  "haishin_manifest:haishin_common"
  "haishin_pkg:haishin_common"
  "haishin_base:haishin_common"
  "haishin_store:haishin_base,haishin_common"
  "haishin_transfer:haishin_store,haishin_base,haishin_pkg,haishin_common"
  "haishin_engine:haishin_transfer,haishin_store,haishin_base,haishin_manifest,haishin_pkg,haishin_common"
  "haishin_diag:haishin_engine,haishin_transfer,haishin_store,haishin_base,haishin_manifest,haishin_pkg,haishin_common"
  "haishin_ctl:haishin_base,haishin_manifest,haishin_common"
  "haishin_daemon:haishin_diag,haishin_engine,haishin_transfer,haishin_store,haishin_ctl,haishin_base,haishin_manifest,haishin_pkg,haishin_common"
  "haishin-publish:haishin_manifest,haishin_pkg,haishin_common"
  "haishinctl:haishin_ctl,haishin_base,haishin_manifest,haishin_common"
  "haishind:haishin_daemon"
)

# The haishin libraries target links directly (LINK_LIBRARIES and what it
# passes on, INTERFACE_LINK_LIBRARIES).
function(hs_direct_links target out)
  set(found)
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(libs ${target} ${prop})
    if(libs)
      foreach(lib ${libs})
        if(lib MATCHES "^haishin")
          list(APPEND found ${lib})
        endif()
      endforeach()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES found)
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

function(hs_check_layers)
  set(errors)
  foreach(entry ${HS_LAYERS})
    string(FIND "${entry}" ":" colon)
    string(SUBSTRING "${entry}" 0 ${colon} target)
    math(EXPR from "${colon} + 1")
    string(SUBSTRING "${entry}" ${from} -1 below)
    string(REPLACE "," ";" allowed "${below}")
    if(NOT TARGET ${target})
      list(APPEND errors "${target} is in cmake/layers.cmake but not built")
      continue()
    endif()
    hs_direct_links(${target} links)
    foreach(lib ${links})
      list(FIND allowed ${lib} at)
      if(at EQUAL -1)
        list(APPEND errors "${target} links ${lib}, which is not below it")
      endif()
    endforeach()
  endforeach()
  if(errors)
    string(REPLACE ";" "\n  " text "${errors}")
    message(FATAL_ERROR "the layers of cmake/layers.cmake are broken:\n  ${text}")
  endif()
endfunction()
