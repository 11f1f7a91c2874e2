# rvss example: SQL Server databases on a Samba SMB 3 share on btrfs
# (SQL Server "SMB file share as a storage option"), backed up with
# application-consistent shadow copies through MS-FSRVP: the SQL Server
# VSS writer on the database server freezes I/O, the file server's rvss
# takes one btrfs snapshot of the subvolume in milliseconds.
#
# Layout on the file server (one btrfs filesystem):
#   /srv/sql                  btrfs subvolume
#   /srv/sql/data             share "sqldata": .mdf / .ndf files
#   /srv/sql/log              share "sqllog": .ldf files
#   /srv/sql/.rvss-snapshots  rvss's snapshot store (outside both shares)
# Both shares are directories of ONE subvolume, so one shadow copy set over
# \\server\sqldata and \\server\sqllog is one btrfs snapshot: data and log
# files are consistent with each other.  No nested subvolumes or mount
# points below a share (rvss refuses such a share).  Check with:
#   fsrvp_agent check --share sqldata -e .mdf,.ndf
#   fsrvp_agent check --share sqllog  -e .ldf
#
# The SQL Server service account needs full control: the server is a member
# of the SQL Server's AD domain.  Replace EXAMPLE / example.com.

[global]
	workgroup = EXAMPLE
	realm = EXAMPLE.COM
	security = ads
	idmap config * : backend = tdb
	idmap config * : range = 3000-7999
	idmap config EXAMPLE : backend = rid
	idmap config EXAMPLE : range = 100000-999999

	server min protocol = SMB3_00

	# --- FSRVP (Remote VSS), required by rvss -------------------------
	registry shares = yes
	# one rpcd_fsrvp worker: Samba keeps set state per worker process
	rpcd_fsrvp:num_workers = 1
	# Samba's FSRVP message-sequence timer; keep the default in production
	#fss: sequence timeout = 180
	# never "fss: prune stale = yes" in 4.17 (crashes rpcd_fsrvp)

	log level = 1 rvss:3

	# the backup service account calls FSRVP:
	#   net sam rights grant 'EXAMPLE\sql-backup' SeBackupPrivilege

[sqldata]
	path = /srv/sql/data
	read only = no
	vfs objects = rvss shadow_copy2 acl_xattr
	map acl inherit = yes
	store dos attributes = yes
	# SQL Server writes with write-through and expects it honoured
	strict sync = yes
	# no oplocks/leases trouble with database files held open
	kernel oplocks = no
	kernel share modes = no
	posix locking = no
	durable handles = yes

	# --- rvss: every option, with its default (see smb.conf.hyperv) -----
	#rvss:snapshot dir = .rvss-snapshots
	#rvss:hide store = yes
	#rvss:reclaim = yes
	#rvss:reclaim grace = 10m
	#rvss:expose max age = 7d
	# keep the last 7 completed shadow copies for a week as Previous
	# Versions (restores of a database file to an earlier state)
	rvss:retain = 7, 7d
	# ONTAP's share rules at IsPathSupported (see smb.conf.hyperv); the
	# default list of files allowed at the root includes .mdf .ndf .ldf
	#rvss:check layout = no
	#rvss:check depth = 5
	#rvss:check timeout = 10s

	shadow:snapdir = .rvss-snapshots
	shadow:format = @GMT-%Y.%m.%d-%H.%M.%S
	shadow:localtime = no
	shadow:sort = desc

[sqllog]
	path = /srv/sql/log
	read only = no
	vfs objects = rvss shadow_copy2 acl_xattr
	map acl inherit = yes
	store dos attributes = yes
	strict sync = yes
	kernel oplocks = no
	kernel share modes = no
	posix locking = no
	durable handles = yes
	#rvss:snapshot dir = .rvss-snapshots
	#rvss:hide store = yes
	#rvss:reclaim = yes
	#rvss:reclaim grace = 10m
	#rvss:expose max age = 7d
	rvss:retain = 7, 7d
	#rvss:check layout = no
	#rvss:check depth = 5
	#rvss:check timeout = 10s
	shadow:snapdir = .rvss-snapshots
	shadow:format = @GMT-%Y.%m.%d-%H.%M.%S
	shadow:localtime = no
	shadow:sort = desc
