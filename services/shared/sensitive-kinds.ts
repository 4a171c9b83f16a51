// Which resource kinds are sensitive. Normalisation names a kind for every id route (the route
// table, or the collection segment: `/bookings/{id}` → booking); what counts for enumeration and
// probing is every id route, what is *sensitive* (served to someone who never authenticated, or
// read in bulk by a crawler) is this list, plus LEAKWATCH_SENSITIVE_KINDS.
//
// - FILE_SENSITIVE_KINDS: sensitive on any route (a recording or an export in a public folder or
//   bucket is a leak whatever the URL looks like), and an anonymous bucket listing.
// - RECORD_SENSITIVE_KINDS: records of people: orders and customers, patients and their
//   appointments and bookings (booking plugins), form entries (Gravity Forms, WPForms, Ninja Forms
//   entries hold intake answers), prescriptions, lab results, invoices, subscriptions, patient
//   portal records. A public product page or blog post is not one of them.

export const FILE_SENSITIVE_KINDS: readonly string[] = Object.freeze([
  'recording',
  'export',
  'bucket_listing',
]);

export const RECORD_SENSITIVE_KINDS: readonly string[] = Object.freeze([
  'order',
  'customer',
  'patient',
  'appointment',
  'user',
  'booking',
  'reservation',
  'form_entry',
  'submission',
  'intake',
  'intake_form',
  'prescription',
  'lab_result',
  'lab_report',
  'test_result',
  'invoice',
  'subscription',
  'medical_record',
  'health_record',
  'record',
  'chart',
  'encounter',
  'visit',
  'consultation',
]);

/** Every built-in sensitive kind plus `extra` (LEAKWATCH_SENSITIVE_KINDS). */
export function sensitiveKinds(extra: readonly string[] = []): ReadonlySet<string> {
  return new Set([...FILE_SENSITIVE_KINDS, ...RECORD_SENSITIVE_KINDS, ...extra]);
}
