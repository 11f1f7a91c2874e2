/*
 * Real srv_fss.tdb contents written by Debian 12's rpcd_fsrvp (Samba
 * 4.17.12, vfs_btrfs), captured during a run of tests/fsrvp_step.py
 * against a private smbd (tests/step/test_fsrvp_step.sh does the same
 * steps), and kept as the text "tdbdump FILE" printed, verbatim: byte
 * 0xNN outside printable ASCII is written "\NN".  The unit test parses
 * this text back into records (tdbdump_parse() in test_fss_state.c), so
 * the fixture is readable and no binary blob is stored.
 *
 * Re-capture: run the step client's sequence, then
 *   tdbdump <lock dir>/srv_fss.tdb
 * and paste each line as a C string (backslashes and quotes escaped).
 */
#ifndef RVSS_TEST_FSS_STATE_FIXTURE_H
#define RVSS_TEST_FSS_STATE_FIXTURE_H

/*
 * One set, context file_share_backup|ATTR_AUTO_RECOVERY (0x00400010),
 * after start, add, prepare, commit, expose, recovery: state 5
 * (recovered), one shadow copy of share "vol", exposed.
 */
static const char real_recovered_dump[] =
	"{\n"
	"key(11) = \"db_version\\00\"\n"
	"data(4) = \"\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(84) = \"sc_set/277d28b2-819c-4c22-9252-b86b7cbf14d7/sc/ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6\\00\"\n"
	"data(124) = \"ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6\\00/tmp/rvss-it.FmmOw5/fs/vol\\00/tmp/rvss-it.FmmOw5/fs/vol/@GMT-2026.11.22-03.43.54\\00\\FAd\\02k\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(13) = \"sc_set_count\\00\"\n"
	"data(4) = \"\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(132) = \"sc_set/277d28b2-819c-4c22-9252-b86b7cbf14d7/sc/ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6/smap/vol@{ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6}\\00\"\n"
	"data(108) = \"vol\\00vol@{ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6}\\00Shadow copy of vol taken Sun, 22 Nov 2026 03:43:54 UTC\\00\\00\\00\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(44) = \"sc_set/277d28b2-819c-4c22-9252-b86b7cbf14d7\\00\"\n"
	"data(52) = \"277d28b2-819c-4c22-9252-b86b7cbf14d7\\00\\00\\00\\00\\05\\00\\00\\00\\10\\00@\\00\\01\\00\\00\\00\"\n"
	"}\n"
	;

/*
 * Two sets: 054b69b1-... (backup, exposed: "create backup ro vol") and
 * 848f505c-... (app_rollback = 0x9) committed and never exposed, the
 * kind of set that blocks every new set once rpcd_fsrvp reloads it.
 */
static const char real_two_sets_dump[] =
	"{\n"
	"key(11) = \"db_version\\00\"\n"
	"data(4) = \"\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(84) = \"sc_set/848f505c-d1a1-4ce1-ad45-577231769d74/sc/662bc5de-2f6a-4e52-b1b9-c8732c937c57\\00\"\n"
	"data(124) = \"662bc5de-2f6a-4e52-b1b9-c8732c937c57\\00/tmp/rvss-it.FmmOw5/fs/vol\\00/tmp/rvss-it.FmmOw5/fs/vol/@GMT-2026.11.22-03.44.03\\00\\03e\\02k\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(13) = \"sc_set_count\\00\"\n"
	"data(4) = \"\\02\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(44) = \"sc_set/848f505c-d1a1-4ce1-ad45-577231769d74\\00\"\n"
	"data(52) = \"848f505c-d1a1-4ce1-ad45-577231769d74\\00\\00\\00\\00\\03\\00\\00\\00\\09\\00\\00\\00\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(44) = \"sc_set/054b69b1-1cd4-455d-abfd-33aa622d6a8f\\00\"\n"
	"data(52) = \"054b69b1-1cd4-455d-abfd-33aa622d6a8f\\00\\00\\00\\00\\04\\00\\00\\00\\00\\00\\00\\00\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(132) = \"sc_set/054b69b1-1cd4-455d-abfd-33aa622d6a8f/sc/73b028da-6f22-49c5-972f-d7e769be9d4c/smap/vol@{73b028da-6f22-49c5-972f-d7e769be9d4c}\\00\"\n"
	"data(108) = \"vol\\00vol@{73b028da-6f22-49c5-972f-d7e769be9d4c}\\00Shadow copy of vol taken Sun, 22 Nov 2026 03:44:02 UTC\\00\\00\\00\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(84) = \"sc_set/054b69b1-1cd4-455d-abfd-33aa622d6a8f/sc/73b028da-6f22-49c5-972f-d7e769be9d4c\\00\"\n"
	"data(124) = \"73b028da-6f22-49c5-972f-d7e769be9d4c\\00/tmp/rvss-it.FmmOw5/fs/vol\\00/tmp/rvss-it.FmmOw5/fs/vol/@GMT-2026.11.22-03.44.02\\00\\02e\\02k\\01\\00\\00\\00\"\n"
	"}\n"
	"{\n"
	"key(132) = \"sc_set/848f505c-d1a1-4ce1-ad45-577231769d74/sc/662bc5de-2f6a-4e52-b1b9-c8732c937c57/smap/vol@{662bc5de-2f6a-4e52-b1b9-c8732c937c57}\\00\"\n"
	"data(52) = \"vol\\00vol@{662bc5de-2f6a-4e52-b1b9-c8732c937c57}\\00\\00\\00\\00\\00\\00\"\n"
	"}\n"
	;

#endif /* RVSS_TEST_FSS_STATE_FIXTURE_H */
