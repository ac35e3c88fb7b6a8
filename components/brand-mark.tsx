/** The lifebuoy mark. Decorative: always next to the word "Lifeboat". */
export function BrandMark({ className = "size-6" }: { className?: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" className={className}>
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="4.5" opacity="0.95" />
      <g stroke="#dc2626" strokeWidth="4.6" fill="none">
        <path d="M12 3v4.2M12 16.8V21M3 12h4.2M16.8 12H21" />
      </g>
    </svg>
  );
}
