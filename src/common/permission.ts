/** VoIPBIN's permission bits. */
export const Permission = {
  ProjectSuperAdmin: 1,
  CustomerAdmin: 32,
  CustomerManager: 64,
} as const;
