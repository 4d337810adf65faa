# The systemd unit of the Stepline service, shared by scripts/install-pi.sh (an existing Pi) and
# scripts/build-pi-image.sh (a flashable image). Source it, then: render_stepline_unit USER DATA_DIR [GROUPS]
# GROUPS: supplementary groups (e.g. dialout, for serial ports), empty for none.
render_stepline_unit() {
  local user="$1" data="$2" groups="${3:-}" groups_line=""
  [ -z "$groups" ] || groups_line=$'\n'"SupplementaryGroups=$groups"
  cat <<UNIT
[Unit]
Description=Stepline 3D-printer host (Klipper MCU protocol, Moonraker-compatible API, Cura printing)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$user$groups_line
WorkingDirectory=$data
# No --config: runs $data/config/printer.cfg, written as the virtual printer's on first start
ExecStart=/usr/local/bin/stepline run --data $data
Restart=always
RestartSec=5
# Port 80 (Cura) without root: this one capability and nothing else.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=true
ProtectSystem=full

[Install]
WantedBy=multi-user.target
UNIT
}
