/*
 * i18n.h - gettext for every message a person reads.
 *
 * _("text") translates now; N_("text") only marks a string for xgettext
 * (tables of static strings translated when printed).  hs_err_set() and
 * hs_err_prefix() translate their formats themselves (hs_err.c).  Programs call
 * setlocale(), bindtextdomain(HAISHIN_TEXTDOMAIN, ...) and
 * textdomain(HAISHIN_TEXTDOMAIN) once at start.  State names such as
 * COMPLETED are the contract of DESIGN.md and are never translated.
 */
#ifndef HAISHIN_I18N_H
#define HAISHIN_I18N_H

#include <libintl.h>

#define HAISHIN_TEXTDOMAIN "haishin"

#define _(s) gettext(s)
#define N_(s) (s)

#endif
